package topic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/validator"
)

func testNode(t *testing.T, i int, bootstrap ...string) *node.Node {
	t.Helper()
	id := testkit.Identity(t, fmt.Sprintf("topic-test-%d", i))
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Identity = id
	cfg.Bootstrap = bootstrap
	cfg.Gossip.HeartbeatInterval = 50 * time.Millisecond
	cfg.DialBackoff = 50 * time.Millisecond
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func waitMesh(t *testing.T, h *node.TopicHandle, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.Mesh()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("mesh of %s never reached %d", h.Name(), want)
		}
		tick := time.NewTimer(5 * time.Millisecond)
		<-tick.C
	}
}

type price struct {
	Symbol string
	Cents  int
}

func TestTypedTopicWithValidator(t *testing.T) {
	a := testNode(t, 0)
	b := testNode(t, 1, a.Addr().String())
	positive := WithValidator(func(_ context.Context, _ peer.ID, p price) validator.Result {
		if p.Cents <= 0 {
			return validator.Reject
		}
		return validator.Accept
	})
	ta, err := Join(a, "prices", JSON[price]())
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Join(b, "prices", JSON[price](), positive)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tb.Subscribe(WithBuffer(16))
	if err != nil {
		t.Fatal(err)
	}
	waitMesh(t, tb.Handle(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range []price{{"A", -1}, {"B", 5}, {"C", 0}, {"D", 7}} {
		if err := ta.Publish(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Raw garbage on the wire must be rejected by the decoding validator.
	if _, err := ta.Handle().Publish(ctx, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if err := ta.Publish(ctx, price{"E", 9}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if m.From != a.ID() || m.Topic != "prices" || m.ID == "" {
			t.Fatalf("bad envelope %+v", m)
		}
		got = append(got, m.Value.Symbol)
	}
	slices.Sort(got) // validations run concurrently: order may change
	if fmt.Sprint(got) != "[B D E]" {
		t.Fatalf("delivered %v, want [B D E]", got)
	}
	// The rejections may still be on their way back from the workers.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := b.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st.Router.ValidationReject == 3 {
			break
		}
		if st.Router.ValidationReject > 3 || time.Now().After(deadline) {
			t.Fatalf("ValidationReject = %d, want 3", st.Router.ValidationReject)
		}
		tick := time.NewTimer(5 * time.Millisecond)
		<-tick.C
	}
}

func TestErrorsAfterClose(t *testing.T) {
	n := testNode(t, 0)
	tp, err := Join(n, "x", String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Join(n, "", String()); !errors.Is(err, ErrBadTopic) {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := Join(n, "v", String(), WithValidator(func(context.Context, peer.ID, int) validator.Result { return validator.Accept })); !errors.Is(err, ErrValidatorType) {
		t.Fatalf("validator type: %v", err)
	}
	big := make([]byte, node.DefaultConfig().MaxMessageSize+1)
	tb, err := Join(n, "big", Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Publish(context.Background(), big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	sub, err := tp.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tp.Publish(context.Background(), "x"); !errors.Is(err, ErrTopicClosed) {
		t.Fatalf("publish after topic close: %v", err)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, ErrTopicClosed) {
		t.Fatalf("next after topic close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Publish(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after node close: %v", err)
	}
	if _, err := tb.Subscribe(); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after node close: %v", err)
	}
	if _, err := Join(n, "y", String()); !errors.Is(err, ErrClosed) {
		t.Fatalf("join after node close: %v", err)
	}
}

// Publish passes on what the node reports: a value published to nobody
// (node.ErrNoPeers in a *node.PublishError carrying the message id), and a
// value the topic's own validator refuses (ErrRejected, nothing published).
func TestPublishReportsLosses(t *testing.T) {
	n := testNode(t, 0)
	positive := WithValidator(func(_ context.Context, _ peer.ID, p price) validator.Result {
		if p.Cents <= 0 {
			return validator.Reject
		}
		return validator.Accept
	})
	tp, err := Join(n, "prices", JSON[price](), positive)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = tp.Publish(ctx, price{"A", 5})
	var pe *node.PublishError
	if !errors.Is(err, ErrNoPeers) || !errors.As(err, &pe) || pe.ID == "" || pe.Topic != "prices" {
		t.Fatalf("publishing alone: %v, want ErrNoPeers in a *node.PublishError with the id", err)
	}
	if err := tp.Publish(ctx, price{"B", -1}); !errors.Is(err, ErrRejected) || errors.As(err, &pe) {
		t.Fatalf("publishing a value the validator rejects: %v, want ErrRejected", err)
	}
	st, err := n.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Router.Published != 1 {
		t.Fatalf("Router.Published = %d, want 1 (the rejected value is not published)", st.Router.Published)
	}
}
