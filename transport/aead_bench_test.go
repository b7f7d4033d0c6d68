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
