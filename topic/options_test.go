package topic

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// The typed options reach the node: the topic's message ids come from
// WithMessageID, an inline validator refuses a value on the loop, a batch
// that does not encode publishes nothing, and SetScoreParams needs
// scoring.
func TestTypedTopicOptions(t *testing.T) {
	a := testNode(t, 0)
	b := testNode(t, 1, a.Addr().String())
	byValue := WithMessageID(func(m *rpc.Message) string { return "v:" + string(m.Data) })
	noZero := WithValidator(func(_ context.Context, _ peer.ID, v int) validator.Result {
		if v == 0 {
			return validator.Reject
		}
		return validator.Accept
	})
	ta, err := Join(a, "n", JSON[int](), byValue, noZero, WithValidatorInline(), WithMinPeers(1))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Join(b, "n", JSON[int](), byValue)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tb.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ta.Publish(ctx, 0); !errors.Is(err, ErrRejected) {
		t.Fatalf("inline validator: %v", err)
	}
	if err := ta.PublishBatch(ctx, []int{7, 8}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"v:7", "v:8"} {
		m, err := sub.Next(ctx)
		if err != nil || m.ID != want {
			t.Fatalf("got %+v %v, want id %s", m, err, want)
		}
	}
	if err := ta.PublishBatch(ctx, []int{7}); !errors.Is(err, node.ErrDuplicate) {
		t.Fatalf("same id again: %v", err)
	}

	tf, err := Join(a, "f", JSON[float64]())
	if err != nil {
		t.Fatal(err)
	}
	var nan float64
	nan = nan / nan
	if err := tf.PublishBatch(ctx, []float64{1, nan}); !errors.Is(err, ErrEncode) {
		t.Fatalf("batch with a value that does not encode: %v", err)
	}
	if err := tf.SetScoreParams(score.DefaultTopicParams()); !errors.Is(err, node.ErrScoringOff) {
		t.Fatalf("SetScoreParams without scoring: %v", err)
	}
	if _, err := Join(a, "neg", String(), WithValidatorConcurrency(-1)); !errors.Is(err, node.ErrConfig) {
		t.Fatalf("negative concurrency: %v", err)
	}
}
