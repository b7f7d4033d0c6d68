package bindtest

import (
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
