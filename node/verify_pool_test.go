package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// poolItems returns n signatures, every fifth one invalid.
func poolItems(t *testing.T, n int) []peer.Signed {
	items := make([]peer.Signed, n)
	for i := range items {
		id := testkit.Identity(t, fmt.Sprintf("pool-%d", i%7))
		msg := fmt.Appendf(nil, "message %d", i)
		items[i] = peer.Signed{ID: id.ID(), Msg: msg, Sig: id.Sign(msg)}
		if i%5 == 3 {
			items[i].Msg = []byte("tampered")
		}
	}
	return items
}

// TestVerifyPoolSplitsAndMatches: a batch large enough is split over the
// workers, a small one stays on the caller; the answers are ID.Verify's
// either way.
func TestVerifyPoolSplitsAndMatches(t *testing.T) {
	p := newVerifyPool(3)
	p.start()
	defer p.stop()
	for _, tc := range []struct{ n, shared int }{
		{0, 0}, {1, 0}, {31, 0}, {32, 1}, {47, 1}, {48, 2}, {101, 2},
	} {
		items := poolItems(t, tc.n)
		ok := make([]bool, tc.n)
		before := p.shared.Load()
		p.VerifySigs(items, ok)
		if got := int(p.shared.Load() - before); got != tc.shared {
			t.Fatalf("n=%d: %d parts to the workers, want %d", tc.n, got, tc.shared)
		}
		for i, it := range items {
			if ok[i] != it.ID.Verify(it.Msg, it.Sig) {
				t.Fatalf("n=%d: ok[%d] = %v", tc.n, i, ok[i])
			}
		}
	}
}

// TestNodeVerifiesInBatches: a node hands the GossipSub payloads of an
// event-loop round to the router at once, whose signatures go to the
// node's pool in batches; every message arrives.
func TestNodeVerifiesInBatches(t *testing.T) {
	nodes := startNodes(t, 2, onNet(bindtest.NewNetwork(), func(_ int, c *Config) { localMembership(c) }))
	h0 := join(t, nodes[0], "t", TopicOptions{MinPeers: 1})
	sub, err := join(t, nodes[1], "t", TopicOptions{}).Subscribe(1024)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h0.WaitPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const msgs = 300
	datas := make([][]byte, msgs)
	for i := range datas {
		datas[i] = fmt.Appendf(nil, "m%d", i)
	}
	if _, err := h0.PublishBatch(ctx, datas); err != nil {
		t.Fatal(err)
	}
	for i := range msgs {
		if _, err := sub.Next(ctx); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	st, err := nodes[1].Stats()
	if err != nil {
		t.Fatal(err)
	}
	r := st.Router
	if r.VerifyBatches == 0 || r.BatchedSigs == 0 || r.BatchedSigs+r.SingleSigs < msgs {
		t.Fatalf("signatures: %d batches of %d in all, %d single", r.VerifyBatches, r.BatchedSigs, r.SingleSigs)
	}
	if calls := nodes[1].vpool.calls.Load(); calls != r.VerifyBatches {
		t.Fatalf("the pool verified %d batches, the router %d", calls, r.VerifyBatches)
	}
}
