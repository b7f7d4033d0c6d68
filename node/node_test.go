package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
)

func TestThreeNodes(t *testing.T) {
	nodes := startNodes(t, 3, nil)
	testkit.Eventually(t, 5*time.Second, "full connectivity", func() bool {
		for _, n := range nodes {
			if len(n.Peers()) != 2 {
				return false
			}
		}
		return true
	})
	var handles []*TopicHandle
	var subs []*Subscription
	for _, n := range nodes {
		h, err := n.JoinTopic("t", TopicOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.Subscribe(0)
		if err != nil {
			t.Fatal(err)
		}
		handles, subs = append(handles, h), append(subs, s)
	}
	testkit.Eventually(t, 5*time.Second, "meshes", func() bool {
		for _, h := range handles {
			if len(h.Mesh()) != 2 {
				return false
			}
		}
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const msgs = 10
	for i := range msgs {
		if _, err := handles[i%3].Publish(ctx, fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for k, s := range subs {
		got := map[string]bool{}
		for len(got) < msgs {
			m, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("node %d after %d messages: %v", k, len(got), err)
			}
			got[string(m.Data)] = true
		}
	}
}
