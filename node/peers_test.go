package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
)

func tid(b byte) peer.ID { return peer.ID{b} }

// A node with PeersHigh=4 that 8 nodes dial ends with at most 4 peers,
// and its mesh still carries messages to the peers it kept.
func TestPeersHighTrims(t *testing.T) {
	const dialers = 8
	tc := &testCluster{t: t}
	hubCfg := testConfig(t, 0)
	hubCfg.PeersLow, hubCfg.PeersHigh = 2, 4
	hubCfg.DisconnectBackoff = time.Minute
	hub, err := New(hubCfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.nodes = append(tc.nodes, hub)
	for i := 1; i <= dialers; i++ {
		cfg := testConfig(t, i)
		cfg.Bootstrap = []string{hub.Addr().String()}
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tc.nodes = append(tc.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range tc.nodes {
			n.Close()
		}
		tc.wg.Wait()
	})
	for i := range tc.nodes {
		tc.join(i)
	}
	testkit.Eventually(t, 10*time.Second, "trimmed to PeersHigh", func() bool {
		st, err := hub.Stats()
		return err == nil && st.Trimmed >= dialers-4 && len(hub.Peers()) <= 4 && len(hub.Peers()) > 0
	})
	// The dialers keep redialling the hub (it is their bootstrap); it
	// refuses them, so it stays at or under the mark.
	testkit.Eventually(t, 10*time.Second, "a trimmed dialer refused", func() bool {
		st, _ := hub.Stats()
		return st.Refused > 0
	})
	if got := len(hub.Peers()); got > 4 {
		t.Fatalf("hub has %d peers > PeersHigh 4", got)
	}
	// The application may still connect a trimmed peer explicitly.
	var trimmed *Node
	for _, n := range tc.nodes[1:] {
		if !slices.Contains(hub.Peers(), n.ID()) {
			trimmed = n
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := hub.Connect(ctx, trimmed.Addr().String()); err != nil {
		t.Fatalf("Connect to a trimmed peer: %v", err)
	}
	testkit.Eventually(t, 10*time.Second, "trimmed again to PeersHigh", func() bool { return len(hub.Peers()) <= 4 })
	kept := map[peer.ID]bool{}
	for _, id := range hub.Peers() {
		kept[id] = true
	}
	var live []int
	for i, n := range tc.nodes[1:] {
		if kept[n.ID()] {
			live = append(live, i+1)
		}
	}
	if len(live) == 0 {
		t.Fatal("no dialer kept")
	}
	tc.waitMeshes(append([]int{0}, live...), 1)
	tc.publish(0, 7)
	tc.waitAll(live, []uint32{7}, 10*time.Second)
}
