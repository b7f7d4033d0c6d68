package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/transport/bindtest"

	"github.com/gwyh/gwyh/internal/testkit"
)

// testCluster is n nodes in one topic, each with one subscription read by
// a goroutine that counts deliveries per message.
type testCluster struct {
	t       *testing.T
	nodes   []*Node
	handles []*TopicHandle
	mu      sync.Mutex
	got     []map[uint32]int // per node: message number -> deliveries
	wg      sync.WaitGroup
}

func newTestCluster(t *testing.T, count int, tweak func(i int, c *Config)) *testCluster {
	tc := &testCluster{t: t}
	tc.nodes = startNodes(t, count, tweak)
	t.Cleanup(func() {
		for _, n := range tc.nodes {
			n.Close()
		}
		tc.wg.Wait()
	})
	for i := range tc.nodes {
		tc.join(i)
	}
	return tc
}

// join joins node i to topic "t" and starts its reader.
func (tc *testCluster) join(i int) {
	h, err := tc.nodes[i].JoinTopic("t", TopicOptions{WaitForRoom: true})
	if err != nil {
		tc.t.Fatal(err)
	}
	sub, err := h.Subscribe(4096)
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.mu.Lock()
	for len(tc.handles) <= i {
		tc.handles = append(tc.handles, nil)
		tc.got = append(tc.got, nil)
	}
	tc.handles[i], tc.got[i] = h, map[uint32]int{}
	tc.mu.Unlock()
	tc.wg.Add(1)
	go func() {
		defer tc.wg.Done()
		for {
			m, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			tc.mu.Lock()
			tc.got[i][binary.BigEndian.Uint32(m.Data)]++
			tc.mu.Unlock()
		}
	}()
}

// publish publishes message k from node i.
func (tc *testCluster) publish(i int, k uint32) {
	tc.t.Helper()
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b, k)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// ErrPartial: some peers' queues were full (the loaded race runs);
	// the message left, and waitAll checks that it arrives everywhere.
	if _, err := tc.handles[i].Publish(ctx, b); err != nil && !errors.Is(err, ErrPartial) {
		tc.t.Fatalf("publish %d from node %d: %v", k, i, err)
	}
}

// waitAll waits until every node in live has every message in msgs, and
// fails on any double delivery.
func (tc *testCluster) waitAll(live []int, msgs []uint32, within time.Duration) {
	tc.t.Helper()
	missing := func() []string {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		var miss []string
		for _, i := range live {
			for _, k := range msgs {
				if tc.got[i][k] == 0 {
					miss = append(miss, fmt.Sprintf("%d@%d", k, i))
				}
			}
		}
		return miss
	}
	deadline := time.Now().Add(within)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for miss := missing(); len(miss) > 0; miss = missing() {
		if time.Now().After(deadline) {
			tc.logState()
			tc.t.Fatalf("after %v, %d deliveries missing (message@node): %v", within, len(miss), miss[:min(len(miss), 40)])
		}
		<-tick.C
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for _, i := range live {
		for k, c := range tc.got[i] {
			if c > 1 {
				tc.t.Errorf("node %d got message %d %d times", i, k, c)
			}
		}
	}
}

// waitMeshes waits until every live node's mesh has at least want peers.
func (tc *testCluster) waitMeshes(live []int, want int) {
	tc.t.Helper()
	defer func() {
		if tc.t.Failed() {
			tc.logState()
		}
	}()
	testkit.Eventually(tc.t, 10*time.Second, fmt.Sprintf("meshes of ≥ %d", want), func() bool {
		for _, i := range live {
			if len(tc.handles[i].Mesh()) < want {
				return false
			}
		}
		return true
	})
}

func seq(from, to uint32) []uint32 {
	var s []uint32
	for k := from; k < to; k++ {
		s = append(s, k)
	}
	return s
}

func indices(n int, except ...int) []int {
	var s []int
outer:
	for i := range n {
		for _, e := range except {
			if i == e {
				continue outer
			}
		}
		s = append(s, i)
	}
	return s
}

func TestTwentyNodesEveryoneGetsEverything(t *testing.T) {
	const n = 20
	tc := newTestCluster(t, n, onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		// The default: on a loaded 2-core machine under -race a short
		// timeout declares live peers down.
		c.Transport.PeerDownTimeout = 10 * time.Second
	}))
	all := indices(n)
	tc.waitMeshes(all, 3)
	for k := range uint32(100) {
		tc.publish(int(k)%n, k)
	}
	tc.waitAll(all, seq(0, 100), 20*time.Second)
	// No restart is reported in a stable cluster (rekeys and crossed
	// handshakes are not restarts), and nothing keeps re-adding peers.
	restarts := func() (sum uint64) {
		for _, nd := range tc.nodes {
			st, _ := nd.Stats()
			sum += st.Restarts
		}
		return sum
	}
	before := restarts()
	tick := time.NewTimer(500 * time.Millisecond)
	<-tick.C
	if after := restarts(); after != before {
		t.Fatalf("peers keep being re-added: %d then %d", before, after)
	}
}

func TestNodeClosedMidStreamRestHeal(t *testing.T) {
	const n = 12
	tc := newTestCluster(t, n, nil)
	tc.waitMeshes(indices(n), 3)
	const victim = 0 // the best-connected node: everyone bootstrapped from it
	for k := range uint32(30) {
		tc.publish(1+int(k)%(n-1), k)
	}
	if err := tc.nodes[victim].Close(); err != nil {
		t.Fatal(err)
	}
	live := indices(n, victim)
	for k := uint32(30); k < 80; k++ {
		tc.publish(1+int(k)%(n-1), k)
	}
	tc.waitAll(live, seq(0, 80), 20*time.Second)
	// The survivors forget the closed node (its PRUNEs, then the
	// transport's peer-down) and keep meshes among themselves.
	testkit.Eventually(t, 10*time.Second, "survivors drop the closed node", func() bool {
		for _, i := range live {
			if slices.Contains(tc.nodes[i].Peers(), tc.nodes[victim].ID()) {
				return false
			}
		}
		return true
	})
	tc.waitMeshes(live, 2)
}

// A cluster on a network that loses 3% of datagrams and reorders 2%
// delivers every message exactly once: lost copies are repaired by
// IHAVE/IWANT gossip, and membership declares nobody dead.
func TestLossyNetworkDeliversEverything(t *testing.T) {
	const n = 12
	nw := bindtest.NewNetwork()
	nw.SetConditions(bindtest.Conditions{Loss: 0.03, Reorder: 0.02, Seed: 7})
	tc := newTestCluster(t, n, onNet(nw, func(i int, c *Config) {
		c.Transport.PeerDownTimeout = 10 * time.Second
		localMembership(c)
	}))
	all := indices(n)
	tc.waitMeshes(all, 3)
	for k := range uint32(60) {
		tc.publish(int(k)%n, k)
	}
	tc.waitAll(all, seq(0, 60), 20*time.Second)
	if nw.Lost() == 0 {
		t.Fatal("the network lost nothing: the test shows no repair")
	}
	for i, nd := range tc.nodes {
		for _, m := range nd.Members() {
			if m.State == MemberDead {
				t.Errorf("node %d declared live node %s dead", i, m.ID.Short())
			}
		}
	}
}

// logState logs each node's peers, mesh and drops (on failure).
func (tc *testCluster) logState() {
	for i, n := range tc.nodes {
		if st, err := n.Stats(); err == nil {
			tc.t.Logf("node %d: %d peers, mesh %d, drops %v", i, len(st.Peers), len(tc.handles[i].Mesh()), st.Drops())
		}
	}
}
