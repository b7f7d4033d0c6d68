package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/router"
)

// testConfig is a loopback config with fast heartbeats and a deterministic
// identity derived from i.
func testConfig(t testing.TB, i int) Config {
	t.Helper()
	id := testkit.Identity(t, fmt.Sprintf("node-test-%d", i))
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Identity = id
	cfg.Seed = uint64(i + 1)
	cfg.Gossip = fastParams()
	cfg.DialBackoff = 50 * time.Millisecond
	cfg.MaxDialBackoff = 500 * time.Millisecond
	cfg.Transport.KeepaliveInterval = 250 * time.Millisecond
	cfg.Transport.PeerDownTimeout = 3 * time.Second
	return cfg
}

func fastParams() router.Params {
	p := router.DefaultParams()
	p.HeartbeatInterval = 100 * time.Millisecond
	p.PruneBackoff = time.Second
	p.UnsubscribeBackoff = time.Second
	return p
}

// onNet returns a tweak that puts every node on the in-memory network nw
// (package bindtest: no kernel sockets, loss and reordering on demand),
// then applies then (which may be nil).
func onNet(nw *bindtest.Network, then func(i int, c *Config)) func(i int, c *Config) {
	return func(i int, c *Config) {
		c.socket = nw.Listen()
		if then != nil {
			then(i, c)
		}
	}
}

// startNodes starts n nodes; node i>0 bootstraps from node 0 and from
// up to two earlier nodes. They are closed at the end of the test.
func startNodes(t testing.TB, count int, tweak func(i int, c *Config)) []*Node {
	t.Helper()
	nodes := make([]*Node, 0, count)
	for i := range count {
		cfg := testConfig(t, i)
		for _, j := range []int{0, i / 2, i - 1} {
			if j < i && j >= 0 {
				cfg.Bootstrap = append(cfg.Bootstrap, nodes[j].Addr().String())
			}
		}
		if tweak != nil {
			tweak(i, &cfg)
		}
		n, err := New(cfg)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	return nodes
}

// bareDial opens a bare transport Conn (no node) on nw as "bare-peer",
// drains its events until the test ends, and dials node a from it.
func bareDial(t testing.TB, nw *bindtest.Network, a *Node) *transport.Conn {
	t.Helper()
	b, err := transport.Listen("127.0.0.1:0", testkit.Identity(t, "bare-peer"), transport.Options{Socket: nw.Listen()})
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range b.Events() {
		}
	}()
	t.Cleanup(func() { b.Close(); <-drained })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.Dial(ctx, a.Addr().String(), a.ID()); err != nil {
		t.Fatal(err)
	}
	return b
}
