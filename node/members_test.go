package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/transport/bindtest"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peer"
)

// crash stops n as a killed process would: no leave, no PRUNE, no bye.
// Its peers learn of it only from membership (or the transport timeout).
func (n *Node) crash() {
	n.once.Do(func() {
		n.closed.Store(true)
		_ = n.teardown()
	})
}

// localMembership is fast membership for loopback clusters.
func localMembership(c *Config) {
	c.Membership = membership.LocalParams()
}

// Twelve nodes that all bootstrap from node 0 learn each other through
// membership and connect among themselves, not in a star around node 0:
// each ends with several peers. When node 0 crashes, every other node
// learns it is dead and the rest keep delivering; a thirteenth node that
// joins through any survivor receives too.
func TestClusterSurvivesSeedCrash(t *testing.T) {
	const count = 12
	nw := bindtest.NewNetwork()
	var nodes []*Node
	for i := range count {
		cfg := testConfig(t, i)
		cfg.socket = nw.Listen()
		localMembership(&cfg)
		cfg.PeersLow, cfg.PeersHigh = 6, 12
		cfg.Transport.PeerDownTimeout = time.Minute // only membership may notice the crash
		if i > 0 {
			cfg.Bootstrap = []string{nodes[0].Addr().String()}
		}
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	tc := &testCluster{t: t, nodes: nodes}
	t.Cleanup(func() {
		for _, n := range tc.nodes {
			n.Close()
		}
		tc.wg.Wait()
	})
	for i := range nodes {
		tc.join(i)
	}
	testkit.Eventually(t, 20*time.Second, "every node knows every member alive", func() bool {
		for _, n := range nodes {
			if alive(n.Members()) != count {
				return false
			}
		}
		return true
	})
	testkit.Eventually(t, 20*time.Second, "every node has peers besides the seed", func() bool {
		for _, n := range nodes[1:] {
			others := 0
			for _, p := range n.Peers() {
				if p != nodes[0].ID() {
					others++
				}
			}
			if others < 3 {
				return false
			}
		}
		return true
	})
	all := indices(count)
	tc.waitMeshes(all, 2)
	tc.publish(1, 1)
	tc.waitAll(all, []uint32{1}, 10*time.Second)

	seed := nodes[0].ID()
	crashed := time.Now()
	nodes[0].crash()
	live := indices(count, 0)
	testkit.Eventually(t, 15*time.Second, "every live node knows the seed is dead", func() bool {
		for _, i := range live {
			if state(nodes[i].Members(), seed) != MemberDead {
				return false
			}
		}
		return true
	})
	t.Logf("the seed's death was known to all %d live nodes %v after the crash", len(live), time.Since(crashed).Round(time.Millisecond))
	for _, i := range live {
		for _, p := range nodes[i].Peers() {
			if p == seed {
				t.Fatalf("node %d still has the dead seed as a peer", i)
			}
		}
	}
	for k := uint32(10); k < 20; k++ {
		tc.publish(live[int(k)%len(live)], k)
	}
	tc.waitAll(live, seq(10, 20), 10*time.Second)

	// A late node joins through a survivor, not the dead seed.
	cfg := testConfig(t, count)
	cfg.socket = nw.Listen()
	localMembership(&cfg)
	cfg.Bootstrap = []string{nodes[5].Addr().String()}
	late, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.nodes = append(tc.nodes, late)
	tc.join(count)
	testkit.Eventually(t, 15*time.Second, "the late node knows the cluster", func() bool {
		return alive(late.Members()) == count // 11 survivors and itself
	})
	tc.waitMeshes([]int{count}, 1)
	tc.publish(2, 30)
	tc.waitAll(append(live, count), []uint32{30}, 10*time.Second)
}

// A node's Close announces a leave: the others record it as left (not
// dead), and a watch sees the join and the leave.
func TestLeaveAnnouncedAndWatched(t *testing.T) {
	nw := bindtest.NewNetwork()
	nodes := startNodes(t, 2, onNet(nw, func(i int, c *Config) { localMembership(c) }))
	w, err := nodes[0].WatchMembers(64) // before the third node joins
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := testConfig(t, 2)
	c.socket = nw.Listen()
	localMembership(&c)
	c.Bootstrap = []string{nodes[0].Addr().String()}
	third, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { third.Close() })
	nodes = append(nodes, third)
	testkit.Eventually(t, 10*time.Second, "every node knows three alive members", func() bool {
		return alive(nodes[0].Members()) == 3 && alive(nodes[1].Members()) == 3 && alive(nodes[2].Members()) == 3
	})
	gone := nodes[2].ID()
	if err := nodes[2].Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the leave recorded", func() bool {
		return state(nodes[0].Members(), gone) == MemberLeft && state(nodes[1].Members(), gone) == MemberLeft
	})
	seen := map[membership.EventKind]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for !seen[membership.EventLeave] {
		select {
		case e := <-w.C():
			if e.Member.ID == gone {
				seen[e.Kind] = true
			}
		case <-ctx.Done():
			t.Fatalf("watch saw %v of the leaving node, want join and leave", seen)
		}
	}
	if !seen[membership.EventJoin] || seen[membership.EventDead] {
		t.Fatalf("watch saw %v, want join and leave, no dead", seen)
	}
	if w.Dropped() != 0 {
		t.Fatalf("%d events dropped from a watch with room", w.Dropped())
	}
	if st, _ := nodes[0].Stats(); st.Members[MemberAlive] != 2 || st.Members[MemberLeft] != 1 {
		t.Fatalf("Stats.Members %v, want 2 alive and 1 left", st.Members)
	}
}

// A watch that nobody reads never blocks the node: its events are dropped
// and counted.
func TestMemberWatchNeverBlocks(t *testing.T) {
	nw := bindtest.NewNetwork()
	first := startNodes(t, 1, onNet(nw, func(i int, c *Config) { localMembership(c) }))[0]
	w, err := first.WatchMembers(1) // before anyone joins: three joins, room for one
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*Node{first}
	for i := 1; i < 4; i++ {
		c := testConfig(t, i)
		c.socket = nw.Listen()
		localMembership(&c)
		c.Bootstrap = []string{first.Addr().String()}
		n, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	testkit.Eventually(t, 10*time.Second, "four alive members", func() bool { return alive(nodes[0].Members()) == 4 })
	testkit.Eventually(t, 5*time.Second, "drops counted", func() bool {
		st, _ := nodes[0].Stats()
		return w.Dropped() > 0 && st.NodeDrops[dropMemberWatchFull] == w.Dropped()
	})
	w.Close()
	w.Close() // idempotent
	closed := make(chan struct{})
	go func() {
		for range w.C() { // the one buffered event, then the close
		}
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("watch channel not closed")
	}
}

// The topic-level view: a handle lists the peers in its topic, and a
// publish with MinPeers waits for them instead of publishing to nobody.
func TestTopicPeersAndMinPeers(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) { localMembership(c) }))
	h0, err := nodes[0].JoinTopic("t", TopicOptions{MinPeers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = h0.Publish(ctx, []byte("too early"))
	cancel()
	if !errors.Is(err, ErrNoPeers) {
		t.Fatalf("publish with no topic peers: %v, want ErrNoPeers", err)
	}
	for _, n := range nodes[1:] {
		if _, err := n.JoinTopic("t", TopicOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h0.Publish(ctx, []byte("now")); err != nil {
		t.Fatalf("publish once two peers joined: %v", err)
	}
	got := h0.Peers()
	if len(got) != 2 {
		t.Fatalf("topic peers %v, want nodes 1 and 2", got)
	}
	for _, id := range got {
		if id != nodes[1].ID() && id != nodes[2].ID() {
			t.Fatalf("topic peer %v is not node 1 or 2", id)
		}
	}
}

// Members lists each member with its address, zone and tags.
func TestMembersCarryMetadata(t *testing.T) {
	nodes := startNodes(t, 2, onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		localMembership(c)
		c.Zone = fmt.Sprintf("zone-%d", i)
		c.Tags = map[string]string{"role": fmt.Sprintf("r%d", i)}
	}))
	testkit.Eventually(t, 10*time.Second, "node 0 knows node 1's metadata", func() bool {
		for _, m := range nodes[0].Members() {
			if m.ID == nodes[1].ID() {
				return m.Zone == "zone-1" && m.Tags["role"] == "r1" && m.Addr == nodes[1].Addr().String() && m.State == MemberAlive
			}
		}
		return false
	})
}

func alive(ms []Member) int {
	k := 0
	for _, m := range ms {
		if m.State == MemberAlive {
			k++
		}
	}
	return k
}

func state(ms []Member, id peer.ID) MemberState {
	for _, m := range ms {
		if m.ID == id {
			return m.State
		}
	}
	return 255
}
