package transport

import (
	"bytes"
	"net/netip"
	"testing"
)

// nextSegment splits a coalesced buffer into datagrams of the segment
// size, the last one possibly shorter, without copying; a size that makes
// no sense leaves the buffer whole.
func TestNextSegment(t *testing.T) {
	buf := make([]byte, 250)
	for i := range buf {
		buf[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		n    int
		seg  int
		want []int // datagram sizes
	}{
		{"even", 200, 100, []int{100, 100}},
		{"short last", 250, 100, []int{100, 100, 50}},
		{"one byte last", 201, 100, []int{100, 100, 1}},
		{"single", 80, 100, []int{80}},
		{"exact single", 100, 100, []int{100}},
		{"not coalesced", 250, 0, []int{250}},
		{"negative size", 250, -7, []int{250}},
		{"size one", 3, 1, []int{1, 1, 1}},
		{"empty", 0, 100, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitAll(buf[:tc.n], tc.seg)
			if len(got) != len(tc.want) {
				t.Fatalf("%d datagrams, want %d", len(got), len(tc.want))
			}
			off := 0
			for i, d := range got {
				if len(d) != tc.want[i] {
					t.Fatalf("datagram %d has %d bytes, want %d", i, len(d), tc.want[i])
				}
				if len(d) > 0 && &d[0] != &buf[off] {
					t.Fatalf("datagram %d is a copy", i)
				}
				if len(got) > 1 && cap(d) != len(d) && i < len(got)-1 {
					t.Fatalf("datagram %d has room into the next (cap %d)", i, cap(d))
				}
				off += len(d)
			}
		})
	}
}

// splitAll splits b as the reader does.
func splitAll(b []byte, seg int) [][]byte {
	var out [][]byte
	for {
		var d []byte
		d, b = nextSegment(b, seg)
		out = append(out, d)
		if len(b) == 0 {
			return out
		}
	}
}

// FuzzNextSegment: for any buffer and segment size, the datagrams cover
// the buffer exactly, in order, all of the segment size but the last.
func FuzzNextSegment(f *testing.F) {
	f.Add([]byte("abcdefghij"), 3)
	f.Add([]byte{}, 0)
	f.Add(make([]byte, 1400*3+5), 1400)
	f.Add([]byte("x"), -1)
	f.Fuzz(func(t *testing.T, b []byte, seg int) {
		got := splitAll(b, seg)
		if !bytes.Equal(bytes.Join(got, nil), b) {
			t.Fatal("datagrams do not cover the buffer")
		}
		for i, d := range got {
			if seg > 0 && len(d) > seg {
				t.Fatalf("datagram %d of %d bytes over segment %d", i, len(d), seg)
			}
			if i < len(got)-1 && len(d) != seg {
				t.Fatalf("datagram %d of %d bytes, segment %d", i, len(d), seg)
			}
		}
		if seg > 0 && len(b) > 0 && len(got) != (len(b)+seg-1)/seg {
			t.Fatalf("%d datagrams of %d bytes by %d", len(got), len(b), seg)
		}
	})
}

// gsoRun groups consecutive packets to one address of one size (the last
// may be shorter) into one segmented send, within the segment and byte
// limits.
func TestGSORun(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1000")
	b := netip.MustParseAddrPort("127.0.0.1:2000")
	pk := func(to netip.AddrPort, n int) Packet { return Packet{Buf: make([]byte, n), Addr: to} }
	for _, tc := range []struct {
		name     string
		pkts     []Packet
		maxSegs  int
		maxBytes int
		want     []int // run lengths over the batch
	}{
		{"same size", []Packet{pk(a, 100), pk(a, 100), pk(a, 100)}, 64, 65507, []int{3}},
		{"short last ends the run", []Packet{pk(a, 100), pk(a, 100), pk(a, 40), pk(a, 100)}, 64, 65507, []int{3, 1}},
		{"longer one starts a new run", []Packet{pk(a, 100), pk(a, 120), pk(a, 120)}, 64, 65507, []int{1, 2}},
		{"address change", []Packet{pk(a, 100), pk(a, 100), pk(b, 100), pk(b, 100), pk(a, 100)}, 64, 65507, []int{2, 2, 1}},
		{"segment limit", []Packet{pk(a, 10), pk(a, 10), pk(a, 10), pk(a, 10), pk(a, 10)}, 2, 65507, []int{2, 2, 1}},
		{"byte limit", []Packet{pk(a, 1000), pk(a, 1000), pk(a, 1000)}, 64, 2500, []int{2, 1}},
		{"empty alone", []Packet{pk(a, 0), pk(a, 0), pk(a, 10), pk(a, 0)}, 64, 65507, []int{1, 1, 1, 1}},
		{"one", []Packet{pk(a, 10)}, 64, 65507, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for p := tc.pkts; len(p) > 0; {
				n := gsoRun(p, tc.maxSegs, tc.maxBytes)
				got = append(got, n)
				p = p[n:]
			}
			if len(got) != len(tc.want) {
				t.Fatalf("runs %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("runs %v, want %v", got, tc.want)
				}
			}
		})
	}
}
