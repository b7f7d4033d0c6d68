package topic_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/topic"
)

// Two nodes on loopback: the second joins the cluster through the first,
// both join a typed topic, the publisher waits until the topic has a peer,
// and the value arrives at the other node.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := func(seeds ...string) *node.Node {
		cfg := node.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		cfg.Bootstrap = seeds // any member of the cluster will do
		n, err := node.New(cfg)
		if err != nil {
			log.Fatal(err)
		}
		return n
	}
	a := start()
	defer a.Close()
	joins, err := a.WatchMembers(0) // a's membership events: b's join below
	if err != nil {
		log.Fatal(err)
	}
	b := start(a.Addr().String())
	defer b.Close()

	type Invalidation struct {
		Key     string
		Version int
	}
	ta, err := topic.Join(a, "cache", topic.JSON[Invalidation](), topic.WithMinPeers(1))
	if err != nil {
		log.Fatal(err)
	}
	tb, err := topic.Join(b, "cache", topic.JSON[Invalidation]())
	if err != nil {
		log.Fatal(err)
	}
	sub, err := tb.Subscribe()
	if err != nil {
		log.Fatal(err)
	}
	// WithMinPeers(1): Publish waits until b is in the topic.
	if err := ta.Publish(ctx, Invalidation{Key: "user:42", Version: 7}); err != nil {
		log.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Value.Key, m.Value.Version, m.From == a.ID())
	// The topic and the membership views fill independently: wait until
	// a's membership has b too.
	for ev := range joins.C() {
		if ev.Member.ID == b.ID() {
			break
		}
	}
	fmt.Println(len(ta.Peers()), "peer in the topic;", len(a.Members()), "members in the cluster")
	// Output:
	// user:42 7 true
	// 1 peer in the topic; 2 members in the cluster
}
