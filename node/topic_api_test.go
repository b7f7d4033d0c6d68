package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/transport/bindtest"
	"github.com/gwyh/gwyh/validator"
)

func join(t *testing.T, n *Node, name string, opts TopicOptions) *TopicHandle {
	t.Helper()
	h, err := n.JoinTopic(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func subscribe(t *testing.T, h *TopicHandle) *Subscription {
	t.Helper()
	s, err := h.Subscribe(64)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nextEvent(t *testing.T, w *PeerEvents) PeerEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := w.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A watch of a topic's peers reports the peers already there, then each
// peer joining, leaving the topic and disconnecting; a full buffer drops
// and counts; Cancel and Close end it with their error.
func TestTopicPeerEvents(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) { localMembership(c) }))
	h0 := join(t, nodes[0], "t", TopicOptions{})
	h1 := join(t, nodes[1], "t", TopicOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h0.WaitPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	w, err := h0.WatchPeers(8)
	if err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, w); e != (PeerEvent{Kind: PeerJoin, Peer: nodes[1].ID(), Topic: "t"}) {
		t.Fatalf("first event %+v, want node 1 already there", e)
	}
	h2 := join(t, nodes[2], "t", TopicOptions{})
	if e := nextEvent(t, w); e != (PeerEvent{Kind: PeerJoin, Peer: nodes[2].ID(), Topic: "t"}) {
		t.Fatalf("event %+v, want node 2 joining", e)
	}
	small, err := h0.WatchPeers(1) // two peers, room for one
	if err != nil {
		t.Fatal(err)
	}
	if small.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", small.Dropped())
	}
	if st, _ := nodes[0].Stats(); st.Drops()["node/topic-event-full"] != 1 {
		t.Fatalf("drops %v", st.Drops())
	}
	small.Cancel()
	<-small.C() // the buffered join
	if _, err := small.Next(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Next after Cancel: %v", err)
	}

	h1.Close()
	if e := nextEvent(t, w); e != (PeerEvent{Kind: PeerLeave, Peer: nodes[1].ID(), Topic: "t"}) {
		t.Fatalf("event %+v, want node 1 leaving the topic", e)
	}
	_ = h2
	nodes[2].Close()
	if e := nextEvent(t, w); e != (PeerEvent{Kind: PeerLeave, Peer: nodes[2].ID(), Topic: "t"}) {
		t.Fatalf("event %+v, want node 2 leaving", e)
	}
	h0.Close()
	if _, err := w.Next(ctx); !errors.Is(err, ErrTopicClosed) {
		t.Fatalf("Next after the topic closed: %v", err)
	}
	if _, err := h0.WatchPeers(1); !errors.Is(err, ErrTopicClosed) {
		t.Fatalf("WatchPeers on a closed topic: %v", err)
	}
}

// Blacklisted both ways, nodes 0 and 2 disconnect and stay apart; node 1
// has joined the topic without a subscription and still relays node 0's
// messages to node 2 (StrictNoSign: messages name no author, so only the
// link is blocked).
func TestRelayWithoutSubscription(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		localMembership(c)
		c.SignaturePolicy = router.StrictNoSign
	}))
	if err := nodes[0].Blacklist(nodes[2].ID()); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].Blacklist(nodes[0].ID()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "a line 0 - 1 - 2", func() bool {
		return slices.Equal(nodes[0].Peers(), []peer.ID{nodes[1].ID()}) &&
			slices.Equal(nodes[2].Peers(), []peer.ID{nodes[1].ID()}) && len(nodes[1].Peers()) == 2
	})
	h0 := join(t, nodes[0], "t", TopicOptions{MinPeers: 1})
	relay := join(t, nodes[1], "t", TopicOptions{}) // no Subscribe
	sub := subscribe(t, join(t, nodes[2], "t", TopicOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	testkit.Eventually(t, 10*time.Second, "the relay's mesh", func() bool { return len(relay.Mesh()) == 2 })
	if _, err := h0.Publish(ctx, []byte("via the relay")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil || string(m.Data) != "via the relay" || m.ReceivedFrom != nodes[1].ID() {
		t.Fatalf("node 2 got %+v, %v; want the message from node 1", m, err)
	}
	if slices.Contains(nodes[0].Peers(), nodes[2].ID()) || !slices.Equal(nodes[0].Blacklisted(), []peer.ID{nodes[2].ID()}) {
		t.Fatalf("node 0: peers %v blacklisted %v", nodes[0].Peers(), nodes[0].Blacklisted())
	}
}

// Under StrictSign a node drops, counted, the messages a peer it
// blacklisted authored, even when another peer forwards them; after
// Unblacklist the peer's messages arrive again.
func TestBlacklistDropsAuthoredMessages(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) { localMembership(c) }))
	if err := nodes[0].Blacklist(nodes[2].ID()); err != nil {
		t.Fatal(err)
	}
	sub0 := subscribe(t, join(t, nodes[0], "t", TopicOptions{}))
	h1 := join(t, nodes[1], "t", TopicOptions{})
	sub1 := subscribe(t, h1)
	h2 := join(t, nodes[2], "t", TopicOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h2.WaitPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "node 0 links node 1 only; node 1's mesh", func() bool {
		return slices.Equal(nodes[0].Peers(), []peer.ID{nodes[1].ID()}) && len(h1.Mesh()) == 2
	})
	if _, err := h2.Publish(ctx, []byte("from the blacklisted")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub1.Next(ctx); err != nil || string(m.Data) != "from the blacklisted" {
		t.Fatalf("node 1: %+v %v", m, err)
	}
	testkit.Eventually(t, 5*time.Second, "node 0 drops node 2's message", func() bool {
		st, _ := nodes[0].Stats()
		return st.Router.Drops[router.DropBlacklisted] > 0
	})
	if sub0.Buffered() != 0 {
		t.Fatal("node 0 delivered a message of a blacklisted author")
	}

	if err := nodes[0].Unblacklist(nodes[2].ID()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "welcome back", func() bool {
		_, _ = h2.Publish(ctx, fmt.Appendf(nil, "again %d", time.Now().UnixNano()))
		return sub0.Buffered() > 0
	})
}

// The topic's validator timeout ignores a slow validation (counted) and
// ends the validator's ctx; its concurrency bound throttles (counted); an
// inline validator rejects and accepts on the loop; the topic's message id
// function names the messages on both sides.
func TestTopicValidatorOptionsAndMessageID(t *testing.T) {
	nodes := startNodes(t, 2, onNet(bindtest.NewNetwork(), func(i int, c *Config) { localMembership(c) }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair := func(name string, opts TopicOptions) (*TopicHandle, *Subscription) {
		t.Helper()
		h1 := join(t, nodes[1], name, opts)
		sub := subscribe(t, h1)
		h0 := join(t, nodes[0], name, TopicOptions{MessageID: opts.MessageID})
		if err := h0.WaitPeers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := h1.WaitPeers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		return h0, sub
	}
	stats := func() router.Stats { st, _ := nodes[1].Stats(); return st.Router }

	t.Run("timeout", func(t *testing.T) {
		var gaveUp atomic.Bool
		late := make(chan struct{})
		slow := func(ctx context.Context, _ peer.ID, _ []byte) validator.Result {
			<-ctx.Done()
			gaveUp.Store(errors.Is(ctx.Err(), context.DeadlineExceeded))
			// Answer only once the router gave up: an answer racing its
			// timeout on a loaded machine could still be taken.
			<-late
			return validator.Accept
		}
		h0, _ := pair("slow", TopicOptions{Validator: slow, ValidatorTimeout: 100 * time.Millisecond})
		if _, err := h0.Publish(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 5*time.Second, "timed out", func() bool {
			return stats().Drops[router.DropValidationTimeout] == 1 && gaveUp.Load()
		})
		close(late)
	})

	t.Run("concurrency", func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int32
		held := func(ctx context.Context, _ peer.ID, _ []byte) validator.Result {
			calls.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return validator.Accept
		}
		h0, sub := pair("busy", TopicOptions{Validator: held, ValidatorConcurrency: 1})
		before := stats().Drops[router.DropValidationThrottled]
		ids, err := h0.PublishBatch(ctx, [][]byte{[]byte("1"), []byte("2"), []byte("3")})
		if err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 5*time.Second, "two throttled", func() bool {
			return stats().Drops[router.DropValidationThrottled]-before == 2
		})
		close(release)
		m, err := sub.Next(ctx)
		if err != nil || m.ID != ids[0] || calls.Load() != 1 {
			t.Fatalf("got %+v %v after %d validations; want the batch's first message", m, err, calls.Load())
		}
	})

	t.Run("inline and message id", func(t *testing.T) {
		noBad := func(_ context.Context, _ peer.ID, data []byte) validator.Result {
			if string(data[:3]) == "bad" {
				return validator.Reject
			}
			return validator.Accept
		}
		prefix := func(m *rpc.Message) string { return "id-" + string(m.Data[:4]) }
		h0, sub := pair("inline", TopicOptions{Validator: noBad, ValidateInline: true, MessageID: prefix})
		before := stats().ValidationReject
		if _, err := h0.Publish(ctx, []byte("bad!")); err != nil {
			t.Fatal(err)
		}
		id, err := h0.Publish(ctx, []byte("good"))
		if err != nil || id != "id-good" {
			t.Fatalf("publish: %q %v, want id-good", id, err)
		}
		m, err := sub.Next(ctx)
		if err != nil || m.ID != "id-good" || string(m.Data) != "good" {
			t.Fatalf("got %+v %v", m, err)
		}
		if stats().ValidationReject != before+1 {
			t.Fatal("inline rejection not counted")
		}
		if _, err := h0.Publish(ctx, []byte("good, again")); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("same id under the topic's function: %v", err)
		}
	})

	if _, err := nodes[0].JoinTopic("neg", TopicOptions{ValidatorTimeout: -1}); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative timeout: %v", err)
	}
}

// SetTopicScoreParams scores a topic from now on: the mesh peer of a topic
// that was not scored starts earning time in mesh at once.
func TestSetTopicScoreParams(t *testing.T) {
	nodes := startNodes(t, 2, onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		localMembership(c)
		if i == 0 {
			sp := score.DefaultParams("t")
			c.Score = &sp
		}
	}))
	if err := nodes[1].SetTopicScoreParams("u", score.DefaultTopicParams()); !errors.Is(err, ErrScoringOff) {
		t.Fatalf("scoring off: %v", err)
	}
	bad := score.DefaultTopicParams()
	bad.TopicWeight = -1
	if err := nodes[0].SetTopicScoreParams("u", bad); !errors.Is(err, score.ErrConfig) {
		t.Fatalf("invalid params: %v", err)
	}
	h0 := join(t, nodes[0], "u", TopicOptions{})
	join(t, nodes[1], "u", TopicOptions{})
	testkit.Eventually(t, 10*time.Second, "mesh", func() bool { return len(h0.Mesh()) == 1 })
	scoreOf := func() float64 {
		st, _ := nodes[0].Stats()
		for _, p := range st.Peers {
			if p.ID == nodes[1].ID() {
				return p.Score
			}
		}
		return -1
	}
	if s := scoreOf(); s != 0 {
		t.Fatalf("score %v in an unscored topic", s)
	}
	tp := score.TopicParams{TopicWeight: 1, TimeInMeshWeight: 1, TimeInMeshQuantum: 10 * time.Millisecond, TimeInMeshCap: 30}
	if err := h0.SetScoreParams(tp); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "time in mesh scored", func() bool { return scoreOf() >= 10 })
}

// PublishBatch delivers every message, and each receiver gets them in the
// order that puts the first copies first: the peer first in ID order gets
// messages 0, 2, 4, 1, 3, the other 1, 3, 0, 2, 4.
func TestPublishBatchOrder(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) { localMembership(c) }))
	h0 := join(t, nodes[0], "t", TopicOptions{MinPeers: 2})
	subs := map[peer.ID]*Subscription{}
	for _, n := range nodes[1:] {
		subs[n.ID()] = subscribe(t, join(t, n, "t", TopicOptions{}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var datas [][]byte
	for i := range 5 {
		datas = append(datas, fmt.Appendf(nil, "%d", i))
	}
	ids, err := h0.PublishBatch(ctx, datas)
	if err != nil || len(ids) != 5 {
		t.Fatalf("PublishBatch: %q %v", ids, err)
	}
	peers := h0.Peers()
	want := map[peer.ID]string{peers[0]: "02413", peers[1]: "13024"}
	for id, sub := range subs {
		got := ""
		for range 5 {
			m, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != ids[m.Data[0]-'0'] {
				t.Fatalf("message %s has id %x, PublishBatch said %x", m.Data, m.ID, ids[m.Data[0]-'0'])
			}
			got += string(m.Data)
		}
		if got != want[id] {
			t.Errorf("peer %v got %s, want %s", id, got, want[id])
		}
	}
	if _, err := h0.PublishBatch(ctx, [][]byte{[]byte("ok"), make([]byte, nodes[0].cfg.MaxMessageSize+1)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("batch with a message too large: %v", err)
	}
}

func TestInterleaveOrder(t *testing.T) {
	tests := []struct {
		counts []int
		want   []sendOp
	}{
		{nil, []sendOp{}},
		{[]int{1}, []sendOp{{0, 0}}},
		{[]int{2, 0, 3}, []sendOp{{0, 0}, {2, 0}, {0, 1}, {2, 1}, {2, 2}}},
		{[]int{2, 2}, []sendOp{{0, 0}, {1, 0}, {0, 1}, {1, 1}}},
	}
	for _, tc := range tests {
		if got := interleaveOrder(tc.counts); !slices.Equal(got, tc.want) {
			t.Errorf("interleaveOrder(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}
