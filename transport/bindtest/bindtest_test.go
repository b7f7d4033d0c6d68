package bindtest

import (
	"net/netip"
	"testing"

	"github.com/gwyh/gwyh/transport"
)

func TestDeliveryLossAndClose(t *testing.T) {
	tests := []struct {
		name     string
		cond     Conditions
		min, max int
	}{
		{"perfect", Conditions{}, 1000, 1000},
		{"10% loss", Conditions{Loss: 0.1, Seed: 1}, 850, 950},
		{"reorder only", Conditions{Reorder: 0.5, Seed: 2}, 999, 1000}, // the last may stay held
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NewNetwork()
			n.SetConditions(tt.cond)
			a, b := n.Listen(), n.Listen()
			for i := range 1000 {
				pkt := []byte{byte(i), byte(i >> 8)}
				if err := a.WriteBatch([]transport.Packet{{Buf: pkt, Addr: b.LocalAddr()}}); err != nil {
					t.Fatal(err)
				}
			}
			pkts := make([]transport.Packet, 64)
			for i := range pkts {
				pkts[i].Buf = make([]byte, 16)
			}
			got, inOrder := 0, true
			last := -1
			for got < tt.min || len(b.in) > 0 {
				k, err := b.ReadBatch(pkts)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pkts[:k] {
					if p.Addr != a.LocalAddr() || p.N != 2 {
						t.Fatalf("packet from %v of %d bytes", p.Addr, p.N)
					}
					v := int(p.Buf[0]) | int(p.Buf[1])<<8
					if v < last {
						inOrder = false
					}
					last = v
				}
				got += k
			}
			if got < tt.min || got > tt.max {
				t.Fatalf("delivered %d, want %d..%d", got, tt.min, tt.max)
			}
			if tt.cond.Reorder > 0 && inOrder {
				t.Fatal("no reordering happened")
			}
			b.Close()
			if _, err := b.ReadBatch(pkts); err != ErrClosed {
				t.Fatalf("read after close: %v", err)
			}
		})
	}
}

// TestReorderPerLink sends interleaved sequences on two links into one
// socket and checks that each link's sequence arrives with adjacent pairs
// swapped, and nothing else, at the configured rate: each datagram not
// already paired is held with probability r and swapped with the next on its
// link, so a fraction r/(1+r) of the datagrams are held. Swapping with the
// next datagram on the network instead would leave each link in order here.
func TestReorderPerLink(t *testing.T) {
	const perLink, r = 3000, 0.2
	want := perLink * r / (1 + r)
	for seed := uint64(1); seed <= 5; seed++ {
		n := NewNetwork()
		n.SetConditions(Conditions{Reorder: r, Seed: seed})
		a, c, b := n.Listen(), n.Listen(), n.Listen()
		for i := range perLink {
			pkt := []byte{byte(i), byte(i >> 8)}
			for _, s := range []*Socket{a, c} {
				if err := s.WriteBatch([]transport.Packet{{Buf: pkt, Addr: b.LocalAddr()}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		seqs := map[netip.AddrPort][]int{}
		pkts := make([]transport.Packet, 64)
		for i := range pkts {
			pkts[i].Buf = make([]byte, 16)
		}
		for len(b.in) > 0 {
			k, err := b.ReadBatch(pkts)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts[:k] {
				seqs[p.Addr] = append(seqs[p.Addr], int(p.Buf[0])|int(p.Buf[1])<<8)
			}
		}
		for _, s := range []*Socket{a, c} {
			seq := seqs[s.LocalAddr()]
			if len(seq) < perLink-1 { // the last may stay held
				t.Fatalf("seed %d: %d of %d datagrams from %v", seed, len(seq), perLink, s.LocalAddr())
			}
			swaps := 0
			for i := 0; i < len(seq); i++ {
				switch {
				case seq[i] == i:
				case seq[i] == i+1 && i+1 < len(seq) && seq[i+1] == i:
					swaps++
					i++
				default:
					t.Fatalf("seed %d, link from %v: position %d holds %d: not an adjacent swap", seed, s.LocalAddr(), i, seq[i])
				}
			}
			if float64(swaps) < 0.75*want || float64(swaps) > 1.25*want {
				t.Fatalf("seed %d, link from %v: %d swaps in %d datagrams, want about %.0f", seed, s.LocalAddr(), swaps, perLink, want)
			}
		}
	}
}
