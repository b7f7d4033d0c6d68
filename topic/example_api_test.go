package topic_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/topic"
	"github.com/gwyh/gwyh/validator"
)

// pair starts two loopback nodes, the first connected to the second.
func pair(ctx context.Context) (a, b *node.Node) {
	start := func() *node.Node {
		cfg := node.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		n, err := node.New(cfg)
		if err != nil {
			log.Fatal(err)
		}
		return n
	}
	a, b = start(), start()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	return a, b
}

// Join with the validator options of go-libp2p-pubsub: a timeout, a bound
// on validations in flight, and the common path of subscribing, waiting
// for readiness and publishing.
func ExampleJoin() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := pair(ctx)
	defer a.Close()
	defer b.Close()

	positive := func(_ context.Context, _ peer.ID, v int) validator.Result {
		if v <= 0 {
			return validator.Reject
		}
		return validator.Accept
	}
	opts := []topic.Option{
		topic.WithValidator(positive),
		topic.WithValidatorTimeout(time.Second),
		topic.WithValidatorConcurrency(64),
	}
	ta, err := topic.Join(a, "counts", topic.JSON[int](), opts...)
	if err != nil {
		log.Fatal(err)
	}
	tb, err := topic.Join(b, "counts", topic.JSON[int](), opts...)
	if err != nil {
		log.Fatal(err)
	}
	sub, err := tb.Subscribe()
	if err != nil {
		log.Fatal(err)
	}
	if err := ta.WaitPeers(ctx, 1); err != nil { // readiness
		log.Fatal(err)
	}
	fmt.Println(ta.Publish(ctx, -1)) // refused by a's own validator
	fmt.Println(ta.Publish(ctx, 42))
	m, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Value)
	// Output:
	// node: message rejected by validator: reject
	// <nil>
	// 42
}

// WatchPeers reports peers joining and leaving the topic.
func ExampleTopic_WatchPeers() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := pair(ctx)
	defer a.Close()
	defer b.Close()

	ta, err := topic.Join(a, "presence", topic.String())
	if err != nil {
		log.Fatal(err)
	}
	w, err := ta.WatchPeers(0)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Cancel()
	tb, err := topic.Join(b, "presence", topic.String())
	if err != nil {
		log.Fatal(err)
	}
	for _, leave := range []bool{false, true} {
		if leave {
			tb.Close()
		}
		e, err := w.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Kind == topic.PeerJoin, e.Kind == topic.PeerLeave, e.Peer == b.ID())
	}
	// Output:
	// true false true
	// false true true
}

// PublishBatch publishes several values so that the first copy of each
// leaves before any second copy.
func ExampleTopic_PublishBatch() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := pair(ctx)
	defer a.Close()
	defer b.Close()

	ta, err := topic.Join(a, "frames", topic.String(), topic.WithMinPeers(1))
	if err != nil {
		log.Fatal(err)
	}
	tb, err := topic.Join(b, "frames", topic.String())
	if err != nil {
		log.Fatal(err)
	}
	sub, err := tb.Subscribe()
	if err != nil {
		log.Fatal(err)
	}
	frames := []string{"frame 1", "frame 2"}
	if err := ta.PublishBatch(ctx, frames); err != nil {
		log.Fatal(err)
	}
	for range frames {
		m, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Value)
	}
	// Output:
	// frame 1
	// frame 2
}
