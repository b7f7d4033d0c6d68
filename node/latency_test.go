package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
	"github.com/gwyh/gwyh/validator"
)

// observe against a naive oracle: the first bound not below d.
func TestLatencyHistogramObserve(t *testing.T) {
	bounds := LatencyBounds()
	oracle := func(d time.Duration) int {
		for i, b := range bounds {
			if d <= b {
				return i
			}
		}
		return len(bounds)
	}
	var h LatencyHistogram
	var want LatencyHistogram
	for _, d := range []time.Duration{-time.Second, 0, 1, 100 * time.Microsecond, 100*time.Microsecond + 1,
		time.Millisecond, 3 * time.Millisecond, time.Second, 10 * time.Second, 10*time.Second + 1, time.Hour} {
		h.observe(d)
		want.Counts[oracle(max(d, 0))]++
		want.Count++
		want.Sum += max(d, 0)
	}
	if h != want {
		t.Fatalf("histogram %+v, want %+v", h, want)
	}
	bounds[0] = 0 // a copy: the histogram's bounds stay
	if LatencyBounds()[0] != 100*time.Microsecond {
		t.Fatal("LatencyBounds returns the package's array")
	}
}

// The latency histograms measure on the node's clock what they say: here
// a mock clock that only the topic's inline validator moves, by 30 ms on
// the loop while an own message is between Publish and the transport,
// and by 40 ms between a received message's arrival and its delivery.
// Messages that nobody moved time for count in the first bucket; a batch
// counts each message.
func TestLatencyHistograms(t *testing.T) {
	mock := clock.NewMock()
	nw := bindtest.NewNetwork()
	cfg := testConfig(t, 0)
	cfg.socket = nw.Listen()
	cfg.Clock = mock
	cfg.SignaturePolicy = router.StrictNoSign // the bare peer below signs nothing
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h, err := a.JoinTopic("t", TopicOptions{ValidateInline: true, Validator: func(_ context.Context, _ peer.ID, data []byte) validator.Result {
		switch string(data) {
		case "slow-out":
			mock.Add(30 * time.Millisecond)
		case "slow-in":
			mock.Add(40 * time.Millisecond)
		}
		return validator.Accept
	}})
	if err != nil {
		t.Fatal(err)
	}
	b := bareDial(t, nw, a)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	send := func(r *rpc.RPC) {
		t.Helper()
		if err := b.Send(a.ID(), r.Append(nil), transport.PriorityControl); err != nil {
			t.Fatal(err)
		}
	}
	send(&rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: "t"}}})
	testkit.Eventually(t, 5*time.Second, "the peer is in the topic", func() bool { return slices.Contains(h.Peers(), b.ID()) })

	for _, data := range []string{"slow-out", "fast"} {
		if _, err := h.Publish(ctx, []byte(data)); err != nil {
			t.Fatalf("publish %s: %v", data, err)
		}
	}
	if _, err := h.PublishBatch(ctx, [][]byte{[]byte("b1"), []byte("b2")}); err != nil {
		t.Fatal(err)
	}
	send(&rpc.RPC{Publish: []rpc.Message{{Topic: "t", Data: []byte("slow-in")}}})
	stats := func() Stats { st, _ := a.Stats(); return st }
	testkit.Eventually(t, 5*time.Second, "the message is delivered", func() bool { return stats().DeliveryLatency.Count == 1 })

	bucket := func(d time.Duration) int { i, _ := slices.BinarySearch(LatencyBounds(), d); return i }
	st := stats()
	var wantPub, wantDel LatencyHistogram
	wantPub.Counts[0], wantPub.Counts[bucket(30*time.Millisecond)] = 3, 1
	wantPub.Count, wantPub.Sum = 4, 30*time.Millisecond
	wantDel.Counts[bucket(40*time.Millisecond)] = 1
	wantDel.Count, wantDel.Sum = 1, 40*time.Millisecond
	if st.PublishLatency != wantPub {
		t.Errorf("PublishLatency %+v, want %+v", st.PublishLatency, wantPub)
	}
	if st.DeliveryLatency != wantDel {
		t.Errorf("DeliveryLatency %+v, want %+v (own messages not counted)", st.DeliveryLatency, wantDel)
	}
}
