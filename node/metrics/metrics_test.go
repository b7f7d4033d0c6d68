package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/node"
)

// newNode starts a node on loopback, closed at the end of the test.
func newNode(t *testing.T) *node.Node {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// publishAlone publishes k messages on a node without peers.
func publishAlone(t *testing.T, n *node.Node, k int) {
	t.Helper()
	h, err := n.JoinTopic("t", node.TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range k {
		if _, err := h.Publish(context.Background(), []byte("x")); !errors.Is(err, node.ErrNoPeers) { // alone: published to no peer
			t.Fatal(err)
		}
	}
}

func TestHandlerWritesFamilies(t *testing.T) {
	n := newNode(t)
	publishAlone(t, n, 3)
	rec := httptest.NewRecorder()
	Handler(n).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE gwyh_messages_published_total counter",
		"gwyh_messages_published_total 3",
		`gwyh_topic_mesh_peers{topic="t"} 0`,
		`gwyh_validations_total{result="accept"}`,
		"# TYPE gwyh_delivery_latency_seconds histogram",
		"# TYPE gwyh_publish_first_forward_seconds histogram",
		"# TYPE gwyh_peer_score histogram",
		"# TYPE go_goroutines gauge", // the runtime collectors
		"# TYPE process_cpu_seconds_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "#") && len(strings.Fields(line)) != 2 {
			t.Errorf("malformed sample line %q", line)
		}
	}
}

// The registry checks every metric against its Desc (label names and
// count, one value per label set), and the linter checks names, units and
// help: for one node and for several.
func TestCollectorLint(t *testing.T) {
	a, b := newNode(t), newNode(t)
	publishAlone(t, a, 1)
	for _, c := range []*Collector{NewCollector(a), NewCollector(a, b)} {
		reg := prometheus.NewPedanticRegistry()
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		if len(mfs) < 5 {
			t.Fatalf("gathered %d families, want the node's", len(mfs))
		}
		problems, err := testutil.CollectAndLint(c)
		if err != nil || len(problems) > 0 {
			t.Fatalf("lint: %v %+v", err, problems)
		}
	}
}

// One node's metrics have no node label; several nodes' have one each, as
// have one node's under Options.NodeLabel, so that two Collectors share a
// registry.
func TestNodeLabelOnlyWithSeveralNodes(t *testing.T) {
	a, b := newNode(t), newNode(t)
	publishAlone(t, a, 2)
	if err := testutil.CollectAndCompare(NewCollector(a), strings.NewReader(`
# HELP gwyh_messages_published_total Messages published by this node.
# TYPE gwyh_messages_published_total counter
gwyh_messages_published_total 2
`), "gwyh_messages_published_total"); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP gwyh_messages_published_total Messages published by this node.
# TYPE gwyh_messages_published_total counter
gwyh_messages_published_total{node="` + a.ID().String() + `"} 2
gwyh_messages_published_total{node="` + b.ID().String() + `"} 0
`
	if err := testutil.CollectAndCompare(NewCollector(a, b), strings.NewReader(want), "gwyh_messages_published_total"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	for _, n := range []*node.Node{a, b} {
		if _, err := Register(reg, Options{NodeLabel: true, NoRuntime: true}, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gwyh_messages_published_total"); err != nil {
		t.Fatal(err)
	}
	if _, err := Register(reg, Options{NoRuntime: true}, a); err == nil {
		t.Fatal("a second unlabelled node registered in the same registry")
	}
}

// Register adds the Go and process collectors, unless told not to, and
// does not fail on a registry that has them already.
func TestRegisterRuntimeCollectors(t *testing.T) {
	n := newNode(t)
	has := func(reg *prometheus.Registry, name string) bool {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return true
			}
		}
		return false
	}
	reg := prometheus.NewRegistry()
	if _, err := Register(reg, Options{}, n); err != nil {
		t.Fatal(err)
	}
	if !has(reg, "go_goroutines") || !has(reg, "process_cpu_seconds_total") || !has(reg, "gwyh_peers") {
		t.Fatal("runtime or node families missing")
	}
	own := prometheus.NewRegistry() // as prometheus.DefaultRegisterer comes
	own.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if _, err := Register(own, Options{}, n); err != nil {
		t.Fatalf("registry with its runtime collectors: %v", err)
	}
	bare := prometheus.NewRegistry()
	if _, err := Register(bare, Options{NoRuntime: true}, n); err != nil {
		t.Fatal(err)
	}
	if has(bare, "go_goroutines") || !has(bare, "gwyh_peers") {
		t.Fatal("NoRuntime registered the runtime collectors, or not the node's")
	}
}

// Two connected nodes: no family has a label per peer; peer scores are a
// histogram and a bounded list of the lowest; the latency histograms count
// a message published by one and delivered by the other.
func TestPeerScoresAndLatencies(t *testing.T) {
	a, b := newNode(t), newNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		t.Fatal(err)
	}
	ha, err := a.JoinTopic("t", node.TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.JoinTopic("t", node.TopicOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ha.WaitPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ha.Publish(ctx, []byte("m")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "b delivers the message", func() bool {
		st, _ := b.Stats()
		return st.DeliveryLatency.Count == 1
	})
	c := NewCollector(a, b)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// histo returns the count and bucket count of family name's sample of
	// node id; ok is false when there is none.
	histo := func(name, id string) (count uint64, buckets int, ok bool) {
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if mf.GetName() == name && m.GetLabel()[0].GetValue() == id {
					return m.GetHistogram().GetSampleCount(), len(m.GetHistogram().GetBucket()), true
				}
			}
		}
		return 0, 0, false
	}
	lowest := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "node" && (l.GetName() == "peer" || l.GetValue() == a.ID().String() || l.GetValue() == b.ID().String()) {
					t.Errorf("%s has a per-peer label %s=%q", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
			if mf.GetName() == "gwyh_peer_score_lowest" {
				lowest++
				if r := m.GetLabel()[1]; r.GetName() != "rank" || r.GetValue() != "1" || m.GetGauge().GetValue() != 0 {
					t.Errorf("lowest score sample %v, want rank 1, score 0", m)
				}
			}
			if mf.GetName() == "gwyh_peer_score" {
				if h := m.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 0 {
					t.Errorf("peer score histogram %v, want one peer scoring 0 (scoring off)", h)
				}
			}
		}
	}
	if lowest != 2 {
		t.Errorf("%d lowest-score samples, want rank 1 of each node", lowest)
	}
	aID, bID := a.ID().String(), b.ID().String()
	if n, _, ok := histo("gwyh_publish_first_forward_seconds", aID); !ok || n != 1 {
		t.Errorf("a's publish histogram counts %d, want one message", n)
	}
	if n, k, ok := histo("gwyh_delivery_latency_seconds", bID); !ok || n != 1 || k != node.NumLatencyBuckets {
		t.Errorf("b's delivery histogram counts %d in %d buckets, want one in %d", n, k, node.NumLatencyBuckets)
	}
	if n, _, ok := histo("gwyh_delivery_latency_seconds", aID); !ok || n != 0 {
		t.Errorf("a's delivery histogram counts %d: its own message", n)
	}
}
