package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gwyh/gwyh/node"
)

func TestHandlerWritesFamilies(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h, err := n.JoinTopic("t", node.TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := h.Publish(context.Background(), []byte("x")); !errors.Is(err, node.ErrNoPeers) { // alone: published to no peer
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	Handler(n).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	id := n.ID().String()
	for _, want := range []string{
		"# TYPE gwyh_messages_published_total counter",
		`gwyh_messages_published_total{node="` + id + `"} 3`,
		`gwyh_topic_mesh_peers{node="` + id + `",topic="t"} 0`,
		`gwyh_validations_total{node="` + id + `",result="accept"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
	// The registry checks every metric against its Desc (label names and
	// count, one value per label set).
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(NewCollector(n)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if len(mfs) < 5 {
		t.Fatalf("gathered %d families, want the node's", len(mfs))
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "#") && len(strings.Fields(line)) != 2 {
			t.Errorf("malformed sample line %q", line)
		}
	}
}
