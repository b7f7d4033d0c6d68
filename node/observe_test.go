package node

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
)

// recTracer records the tracer calls it gets, by kind.
type recTracer struct {
	NopTracer
	mu     sync.Mutex
	counts map[string]int
}

func (r *recTracer) add(k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[k]++
}

func (r *recTracer) get(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[k]
}

func (r *recTracer) PeerUp(peer.ID, netip.AddrPort, bool) { r.add("up") }
func (r *recTracer) Graft(peer.ID, string)                { r.add("graft") }
func (r *recTracer) Deliver(_, _ string, _, _ peer.ID, local bool) {
	r.add(map[bool]string{true: "local", false: "remote"}[local])
}
func (r *recTracer) Reject(string, string, peer.ID, string) { r.add("reject") }
func (r *recTracer) Duplicate(n uint64)                     { r.add("dup") }
func (r *recTracer) Prune(peer.ID, string)                  { r.add("prune") }

func TestTracerAndStats(t *testing.T) {
	tr := &recTracer{}
	nodes := startNodes(t, 3, func(i int, c *Config) {
		if i == 0 {
			c.Tracer = tr
		}
	})
	tc := &testCluster{t: t, nodes: nodes}
	for i := range nodes {
		tc.join(i)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Close()
		}
		tc.wg.Wait()
	})
	tc.waitMeshes(indices(3), 2)
	tc.publish(0, 1)
	tc.publish(1, 2)
	tc.waitAll(indices(3), []uint32{1, 2}, 5*time.Second)
	if tr.get("up") != 2 || tr.get("graft") < 2 || tr.get("local") != 1 || tr.get("remote") != 1 {
		t.Fatalf("tracer saw %v", tr.counts)
	}
	st, err := nodes[0].Stats()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Peers) != 2 || len(st.Topics) != 1 || len(st.Topics[0].Mesh) != 2 {
		t.Fatalf("stats: peers %d topics %+v", len(st.Peers), st.Topics)
	}
	if st.Router.Published != 1 || st.Router.Delivered != 2 || st.PayloadsOut == 0 || st.Transport.BytesOut == 0 {
		t.Fatalf("counters: %+v", st.Router)
	}
	// Leaving prunes: the others see node 0 leave their meshes.
	tc.handles[0].Close()
	testkit.Eventually(t, 5*time.Second, "node 0 pruned from the meshes", func() bool {
		return len(tc.handles[1].Mesh()) == 1 && len(tc.handles[2].Mesh()) == 1
	})
}

func TestPublishBackpressure(t *testing.T) {
	slow := func(i int, c *Config) {
		c.MaxMessageSize = 1400
		c.Transport.QueueBytes = 70 << 10
		c.Transport.RateFloor, c.Transport.InitialRate, c.Transport.RateCeiling = 1000, 1000, 1000
		c.PublishHighWater = 8 << 10
	}
	nodes := startNodes(t, 2, slow)
	hs := make([]*TopicHandle, 2)
	for i, n := range nodes {
		h, err := n.JoinTopic("t", TopicOptions{WaitForRoom: i == 1})
		if err != nil {
			t.Fatal(err)
		}
		hs[i] = h
	}
	testkit.Eventually(t, 5*time.Second, "mesh", func() bool { return len(hs[0].Mesh()) == 1 && len(hs[1].Mesh()) == 1 })
	ctx := context.Background()
	data := make([]byte, 1300)
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		data[0], data[1] = byte(i), byte(i>>8)
		_, full = hs[0].Publish(ctx, data)
	}
	if !errors.Is(full, ErrQueueFull) {
		t.Fatalf("publishing into a full queue: %v, want ErrQueueFull", full)
	}
	st, _ := nodes[0].Stats()
	if st.NodeDrops[dropQueueFull] == 0 {
		t.Error("refused payloads were not counted")
	}
	// With WaitForRoom, Publish waits; when its ctx ends first it says so.
	for i := 0; ; i++ {
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		data[0], data[1], data[2] = byte(i), byte(i>>8), 1
		_, err := hs[1].Publish(short, data)
		cancel()
		if err != nil {
			if !errors.Is(err, ErrQueueFull) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waiting publish: %v", err)
			}
			break
		}
		if i > 1000 {
			t.Fatal("WaitForRoom never waited")
		}
	}
}
