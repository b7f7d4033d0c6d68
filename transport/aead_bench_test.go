package transport

import "testing"

var benchCiphers = []struct {
	name string
	id   byte
}{
	{"ChaCha20Poly1305", cipherChaCha},
	{"AES256GCM", cipherAESGCM},
}

func BenchmarkSeal(b *testing.B) {
	for _, c := range benchCiphers {
		b.Run(c.name, func(b *testing.B) {
			a := &aeadDir{aead: newCipher(c.id, [32]byte{1})}
			plain := make([]byte, 1400)
			buf := make([]byte, 0, 1400+dataOverhead)
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf = a.sealData(buf[:0], 7, uint64(i), plain)
			}
		})
	}
}

func TestSealInPlaceMatchesSealData(t *testing.T) {
	for _, c := range benchCiphers {
		a := &aeadDir{aead: newCipher(c.id, [32]byte{3})}
		plain := []byte("some frames to seal")
		want := a.sealData(nil, 9, 77, plain)
		buf := make([]byte, dataHeaderSize, 128)
		got := a.sealInPlace(append(buf, plain...), 9, 77)
		if string(got) != string(want) {
			t.Fatalf("%s: in-place seal differs", c.name)
		}
		if out, err := a.openData(got, 77); err != nil || string(out) != string(plain) {
			t.Fatalf("%s: open = %q, %v", c.name, out, err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, c := range benchCiphers {
		b.Run(c.name, func(b *testing.B) {
			a := &aeadDir{aead: newCipher(c.id, [32]byte{1})}
			pkt := a.sealData(nil, 7, 42, make([]byte, 1400))
			work := make([]byte, len(pkt))
			b.SetBytes(1400)
			b.ReportAllocs()
			for b.Loop() {
				copy(work, pkt)
				if _, err := a.openData(work, 42); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
