package node_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/score"
)

// newNode starts a node on a free loopback port.
func newNode() *node.Node {
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	n, err := node.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	return n
}

// The common path: two nodes, one connects to the other, both join a
// topic, the subscriber subscribes, the publisher waits until the topic
// has a peer (readiness), publishes, and the message arrives.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := newNode(), newNode()
	defer a.Close()
	defer b.Close()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}

	ta, err := a.JoinTopic("news", node.TopicOptions{})
	if err != nil {
		log.Fatal(err)
	}
	tb, err := b.JoinTopic("news", node.TopicOptions{})
	if err != nil {
		log.Fatal(err)
	}
	sub, err := tb.Subscribe(0)
	if err != nil {
		log.Fatal(err)
	}
	// Readiness: wait until b's subscription has reached a.
	if err := ta.WaitPeers(ctx, 1); err != nil {
		log.Fatal(err)
	}
	if _, err := ta.Publish(ctx, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(m.Data), m.From == a.ID(), m.Local)
	// Output: hello true false
}

// A handle without subscriptions still relays: the node is in the
// topic's mesh and forwards its messages. Here b relays the topic while
// only a subscribes.
func ExampleNode_JoinTopic_relay() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := newNode(), newNode()
	defer a.Close()
	defer b.Close()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	relay, err := b.JoinTopic("blocks", node.TopicOptions{}) // no Subscribe
	if err != nil {
		log.Fatal(err)
	}
	if _, err := a.JoinTopic("blocks", node.TopicOptions{}); err != nil {
		log.Fatal(err)
	}
	if err := relay.WaitPeers(ctx, 1); err != nil {
		log.Fatal(err)
	}
	fmt.Println("b relays blocks for", len(relay.Peers()), "peer")
	// Output: b relays blocks for 1 peer
}

// WatchPeers reports the peers joining and leaving a topic.
func ExampleTopicHandle_WatchPeers() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := newNode(), newNode()
	defer a.Close()
	defer b.Close()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	ta, err := a.JoinTopic("jobs", node.TopicOptions{})
	if err != nil {
		log.Fatal(err)
	}
	w, err := ta.WatchPeers(16)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Cancel()

	tb, err := b.JoinTopic("jobs", node.TopicOptions{})
	if err != nil {
		log.Fatal(err)
	}
	e, err := w.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Kind, e.Peer == b.ID())
	tb.Close()
	e, err = w.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Kind, e.Peer == b.ID())
	// Output:
	// join true
	// leave true
}

// PublishBatch publishes several messages at once; with one peer they
// arrive in order.
func ExampleTopicHandle_PublishBatch() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := newNode(), newNode()
	defer a.Close()
	defer b.Close()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	ta, err := a.JoinTopic("chunks", node.TopicOptions{MinPeers: 1}) // Publish waits for a peer
	if err != nil {
		log.Fatal(err)
	}
	tb, err := b.JoinTopic("chunks", node.TopicOptions{})
	if err != nil {
		log.Fatal(err)
	}
	sub, err := tb.Subscribe(0)
	if err != nil {
		log.Fatal(err)
	}
	ids, err := ta.PublishBatch(ctx, [][]byte{[]byte("part 1"), []byte("part 2"), []byte("part 3")})
	if err != nil {
		log.Fatal(err)
	}
	for range ids {
		m, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(m.Data))
	}
	// Output:
	// part 1
	// part 2
	// part 3
}

// Blacklist disconnects a peer and keeps it out until Unblacklist.
func ExampleNode_Blacklist() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := newNode(), newNode()
	defer a.Close()
	defer b.Close()
	if _, err := a.Connect(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	if err := a.Blacklist(b.ID()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(a.Peers()), "peers;", len(a.Blacklisted()), "blacklisted")
	if err := a.Unblacklist(b.ID()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(a.Blacklisted()), "blacklisted")
	// Output:
	// 0 peers; 1 blacklisted
	// 0 blacklisted
}

// SetTopicScoreParams changes a topic's score parameters at run time, on
// a node with scoring on.
func ExampleNode_SetTopicScoreParams() {
	sp := score.DefaultParams("orders")
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Score = &sp
	n, err := node.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	tp := score.DefaultTopicParams()
	tp.TopicWeight = 0.5 // the topic matters half as much from now on
	fmt.Println(n.SetTopicScoreParams("orders", tp))
	tp.TopicWeight = -1
	fmt.Println(n.SetTopicScoreParams("orders", tp) != nil)
	// Output:
	// <nil>
	// true
}
