package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/transport"
)

func TestWrongNetworkKeyCannotJoinOrInject(t *testing.T) {
	key := func(b byte) []byte { k := make([]byte, 32); k[0] = b; return k }
	nodes := startNodes(t, 2, func(i int, c *Config) { c.NetworkKey = key(1) })
	intruder := startNodes(t, 1, func(i int, c *Config) {
		*c = testConfig(t, 50) // its own identity
		c.NetworkKey = key(2)
		c.Bootstrap = []string{nodes[0].Addr().String()}
	})[0]
	tc := &testCluster{t: t, nodes: nodes}
	tc.join(0)
	tc.join(1)
	t.Cleanup(func() { nodes[0].Close(); nodes[1].Close(); tc.wg.Wait() })
	tc.waitMeshes([]int{0, 1}, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, err := intruder.Connect(ctx, nodes[0].Addr().String()); !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("Connect with the wrong key: %v, want ErrHandshake", err)
	}
	h, err := intruder.JoinTopic("t", TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := h.Publish(context.Background(), []byte("injected")); id == "" || !errors.Is(err, ErrNoPeers) {
		t.Fatalf("publishing with no peers: id %q, %v; want an id and ErrNoPeers", id, err)
	}
	tc.publish(1, 7) // a marker after the injection attempt
	tc.waitAll([]int{0}, []uint32{7}, 5*time.Second)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.got[0]) != 1 {
		t.Fatalf("node 0 got %v; only the marker was expected", tc.got[0])
	}
	if p := nodes[0].Peers(); slices.Contains(p, intruder.ID()) || len(intruder.Peers()) != 0 {
		t.Fatalf("intruder connected: %v / %v", p, intruder.Peers())
	}
	st, _ := nodes[0].Stats()
	if st.Transport.Drops[transport.DropAuth] == 0 {
		t.Errorf("no authentication drops counted at node 0: %v", st.Drops())
	}
}

func TestRestartWithSameIdentityRejoins(t *testing.T) {
	tc := newTestCluster(t, 4, nil)
	all := indices(4)
	tc.waitMeshes(all, 2)
	old := tc.nodes[3]
	cfg := old.cfg
	cfg.Listen = old.Addr().String() // same address too, as a restarted service would
	tc.handles[3].Close()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the others notice the node is gone", func() bool {
		for _, n := range tc.nodes[:3] {
			if slices.Contains(n.Peers(), old.ID()) {
				return false
			}
		}
		return true
	})
	again, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != old.ID() {
		t.Fatal("restart changed the identity")
	}
	tc.mu.Lock()
	tc.nodes[3] = again
	tc.mu.Unlock()
	tc.join(3)
	tc.waitMeshes(all, 1)
	for k := range uint32(20) {
		tc.publish(int(k)%4, 1000+k)
	}
	tc.waitAll(all, seq(1000, 1020), 10*time.Second)
}

func TestAfterCloseTypedErrors(t *testing.T) {
	n := startNodes(t, 1, nil)[0]
	h, err := n.JoinTopic("t", TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.Subscribe(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.JoinTopic("t", TopicOptions{}); !errors.Is(err, ErrJoined) {
		t.Fatalf("second join: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	checks := []struct {
		name string
		err  error
	}{
		{"publish", func() error { _, err := h.Publish(ctx, []byte("x")); return err }()},
		{"subscribe", func() error { _, err := h.Subscribe(1); return err }()},
		{"next", func() error { _, err := sub.Next(ctx); return err }()},
		{"join", func() error { _, err := n.JoinTopic("u", TopicOptions{}); return err }()},
		{"connect", func() error { _, err := n.Connect(ctx, "127.0.0.1:9"); return err }()},
		{"stats", func() error { _, err := n.Stats(); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", c.name, c.err)
		}
	}
	if n.Peers() != nil {
		t.Error("Peers after Close is not nil")
	}
}

func TestSlowSubscriberLosesOldestAndCounts(t *testing.T) {
	n := startNodes(t, 1, nil)[0]
	h, err := n.JoinTopic("t", TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := h.Subscribe(4)
	fast, _ := h.Subscribe(64)
	ctx := context.Background()
	for i := range 10 {
		if _, err := h.Publish(ctx, []byte{byte(i)}); !errors.Is(err, ErrNoPeers) { // alone: published to no peer
			t.Fatal(err)
		}
	}
	for i := range 10 { // the fast one misses nothing, slow or not
		m, err := fast.Next(ctx)
		if err != nil || m.Data[0] != byte(i) {
			t.Fatalf("fast subscriber: %v %v", m.Data, err)
		}
	}
	if slow.Lost() != 6 {
		t.Fatalf("slow subscriber lost %d, want 6", slow.Lost())
	}
	for i := 6; i < 10; i++ { // the newest four remain, in order
		m, err := slow.Next(ctx)
		if err != nil || m.Data[0] != byte(i) {
			t.Fatalf("slow subscriber: got %v %v, want %d", m.Data, err, i)
		}
	}
	slow.Cancel()
	if _, err := slow.Next(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Next after Cancel: %v", err)
	}
	st, _ := n.Stats()
	if len(st.Topics) != 1 || st.Topics[0].Lost != 0 || st.Topics[0].Subscriptions != 1 {
		t.Fatalf("topic stats %+v", st.Topics)
	}
}

func TestConnectReportsPeer(t *testing.T) {
	nodes := startNodes(t, 2, func(i int, c *Config) { c.Bootstrap = nil })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := nodes[0].Connect(ctx, nodes[1].ID().String()+"@"+nodes[1].Addr().String())
	if err != nil || id != nodes[1].ID() {
		t.Fatalf("Connect = %s, %v", id.Short(), err)
	}
	if !slices.Contains(nodes[0].Peers(), id) {
		t.Fatal("connected peer not in Peers")
	}
	st, _ := nodes[0].Stats()
	if len(st.Peers) != 1 || !st.Peers[0].Outbound {
		t.Fatalf("peer stats %+v, want one outbound peer", st.Peers)
	}
	other := testConfig(t, 99).Identity.ID()
	wrong := other.String() + "@" + nodes[1].Addr().String()
	if _, err := nodes[0].Connect(ctx, wrong); !errors.Is(err, transport.ErrPeerMismatch) {
		t.Fatalf("Connect under the wrong ID: %v, want ErrPeerMismatch", err)
	}
	if _, err := nodes[0].Connect(ctx, "nonsense"); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("bad address: %v", err)
	}
}

func TestQuickRestartRejoins(t *testing.T) {
	tc := newTestCluster(t, 4, func(i int, c *Config) {
		c.Transport.PeerDownTimeout = 30 * time.Second // far longer than the restart
	})
	all := indices(4)
	tc.waitMeshes(all, 2)
	old := tc.nodes[3]
	cfg := old.cfg
	cfg.Listen = old.Addr().String()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := New(cfg) // at once: the others still hold its old session
	if err != nil {
		t.Fatal(err)
	}
	tc.mu.Lock()
	tc.nodes[3] = again
	tc.mu.Unlock()
	tc.join(3)
	testkit.Eventually(t, 10*time.Second, "the restarted node's mesh", func() bool { return len(tc.handles[3].Mesh()) >= 1 })
	for k := range uint32(20) {
		tc.publish(int(k)%4, 2000+k)
	}
	tc.waitAll(all, seq(2000, 2020), 10*time.Second)
	// Close announced a leave; the new instance refutes it with a higher
	// incarnation, so every other node lists it alive again.
	for i, n := range tc.nodes[:3] {
		testkit.Eventually(t, 10*time.Second, fmt.Sprintf("node %d sees the restarted node alive", i), func() bool {
			for _, m := range n.Members() {
				if m.ID == again.ID() {
					return m.State == MemberAlive
				}
			}
			return false
		})
	}
}

func TestSubscriptionRingGrowsInOrder(t *testing.T) {
	n := startNodes(t, 1, nil)[0]
	h, err := n.JoinTopic("t", TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ size, publish, first int }{
		{size: 100, publish: 40, first: 0},   // grows 16 → 32 → 64, nothing lost
		{size: 100, publish: 130, first: 30}, // grows to 100, then loses the oldest
		{size: 5, publish: 9, first: 4},
	}
	ctx := context.Background()
	for i, tc := range tests {
		sub, _ := h.Subscribe(tc.size)
		sub.push(Message{Data: []byte{255}}) // one old message read first
		if m, _ := sub.Next(ctx); m.Data[0] != 255 {
			t.Fatal("warm-up message lost")
		}
		for k := range tc.publish {
			sub.push(Message{Data: []byte{byte(k)}})
		}
		if got := sub.Lost(); got != uint64(tc.first) {
			t.Errorf("case %d: lost %d, want %d", i, got, tc.first)
		}
		for k := tc.first; k < tc.publish; k++ {
			m, err := sub.Next(ctx)
			if err != nil || m.Data[0] != byte(k) {
				t.Fatalf("case %d: got %v %v, want %d", i, m.Data, err, k)
			}
		}
		sub.Cancel()
	}
}
