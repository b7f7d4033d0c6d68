package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport/bindtest"
	"github.com/gwyh/gwyh/validator"
)

// Every way Publish can lose a message on a node with no peer, each with
// the error it returns and what it counts: published to nobody (the
// message has an id, is delivered locally and counted
// published-to-no-peer), and refused before it was published (too large,
// MinPeers not reached, rejected or ignored by the topic's validator, a
// duplicate): no id, nothing counted in Router.Published.
func TestPublishLossesWithoutPeers(t *testing.T) {
	n := startNodes(t, 1, func(_ int, c *Config) {
		c.SignaturePolicy = router.StrictNoSign // identical data is a duplicate
		c.MaxMessageSize = 100
	})[0]
	reject := func(context.Context, peer.ID, []byte) validator.Result { return validator.Reject }
	ignore := func(context.Context, peer.ID, []byte) validator.Result { return validator.Ignore }
	accept := func(context.Context, peer.ID, []byte) validator.Result { return validator.Accept }
	panics := func(context.Context, peer.ID, []byte) validator.Result { panic("validator bug") }
	tests := []struct {
		name   string
		opts   TopicOptions
		before []string // published first, without checks
		data   string
		ctx    time.Duration // Publish's deadline; 0: none
		want   error
		// published: the message got an id and a *PublishError (it is in
		// the cache and was delivered locally); else it was refused.
		published bool
	}{
		{name: "no peer", data: "alone", want: ErrNoPeers, published: true},
		{name: "min peers not reached", opts: TopicOptions{MinPeers: 1}, data: "wait", ctx: 50 * time.Millisecond, want: ErrNoPeers},
		{name: "too large", data: string(make([]byte, 101)), want: ErrTooLarge},
		{name: "rejected by the validator", opts: TopicOptions{Validator: reject}, data: "bad", want: ErrRejected},
		{name: "ignored by the validator", opts: TopicOptions{Validator: ignore}, data: "meh", want: ErrRejected},
		{name: "validator panics", opts: TopicOptions{Validator: panics}, data: "boom", want: ErrRejected},
		{name: "accepted by the validator, no peer", opts: TopicOptions{Validator: accept}, data: "fine", want: ErrNoPeers, published: true},
		{name: "duplicate", before: []string{"twice"}, data: "twice", want: ErrDuplicate},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := n.JoinTopic(string(rune('a'+i)), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			sub, err := h.Subscribe(8)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.before {
				_, _ = h.Publish(context.Background(), []byte(b))
				if _, err := sub.Next(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := n.Stats()
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			id, err := h.Publish(ctx, []byte(tc.data))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Publish: %v, want %v", err, tc.want)
			}
			var pe *PublishError
			if errors.As(err, &pe) != tc.published || (id != "") != tc.published {
				t.Fatalf("Publish: id %q, err %#v; published %v expected", id, err, tc.published)
			}
			after, _ := n.Stats()
			published := after.Router.Published - before.Router.Published
			noPeer := after.NodeDrops[dropNoPeers] - before.NodeDrops[dropNoPeers]
			if !tc.published {
				if published != 0 || noPeer != 0 {
					t.Fatalf("refused publish counted: Router.Published +%d, published-to-no-peer +%d", published, noPeer)
				}
				return
			}
			if pe.ID != id || pe.Topic != h.Name() || pe.Queued != 0 || pe.Refused != 0 {
				t.Fatalf("PublishError %+v", pe)
			}
			if published != 1 || noPeer != 1 {
				t.Fatalf("Router.Published +%d, published-to-no-peer +%d; want +1 each", published, noPeer)
			}
			m, err := sub.Next(context.Background())
			if err != nil || m.ID != id || !m.Local {
				t.Fatalf("local delivery %+v %v", m, err)
			}
		})
	}
}

// Publish on a node whose send queue to one peer is full: a message meant
// only for that peer was queued nowhere (ErrQueueFull in a *PublishError,
// and every refused payload counted send-queue-full), and a message meant
// for it and for another peer reached the other one (ErrPartial, not
// ErrQueueFull) and is delivered there.
func TestPublishQueueRefusals(t *testing.T) {
	nodes := startNodes(t, 3, onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		localMembership(c)
		if i == 0 { // node 0 sends at 1,000 B/s: its queues fill at once
			c.MaxMessageSize = 1400
			c.Transport.QueueBytes = 70 << 10
			c.Transport.RateFloor, c.Transport.InitialRate, c.Transport.RateCeiling = 1000, 1000, 1000
		}
	}))
	join := func(i int, name string) *TopicHandle {
		h, err := nodes[i].JoinTopic(name, TopicOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	fill, both := join(0, "fill"), join(0, "both")
	join(1, "fill")
	join(1, "both")
	sub, err := join(2, "both").Subscribe(8)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fill.WaitPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := both.WaitPeers(ctx, 2); err != nil {
		t.Fatal(err)
	}

	// Topic "fill" has one peer, node 1: fill its queue.
	data := make([]byte, 400)
	var err1 error
	for i := 0; i < 1000 && err1 == nil; i++ {
		data[0], data[1] = byte(i), byte(i>>8)
		_, err1 = fill.Publish(ctx, data)
	}
	var pe *PublishError
	if !errors.Is(err1, ErrQueueFull) || errors.Is(err1, ErrPartial) || !errors.As(err1, &pe) || pe.Queued != 0 || pe.Refused != 1 || pe.ID == "" {
		t.Fatalf("publishing into a full queue: %#v, want a *PublishError{Queued: 0, Refused: 1} wrapping ErrQueueFull", err1)
	}
	st, _ := nodes[0].Stats()
	if st.NodeDrops[dropQueueFull] == 0 {
		t.Fatal("the refused payload was not counted send-queue-full")
	}

	// Topic "both" has nodes 1 (queue full) and 2: a message 1,000 bytes
	// larger than the ones that filled node 1's queue cannot fit the room
	// left there for the next second.
	big := make([]byte, 1400)
	big[0] = 'b'
	id, err2 := both.Publish(ctx, big)
	if !errors.Is(err2, ErrPartial) || errors.Is(err2, ErrQueueFull) || !errors.As(err2, &pe) || pe.Queued != 1 || pe.Refused != 1 || pe.ID != id || id == "" {
		t.Fatalf("publishing with one full queue of two: id %q, %#v, want a *PublishError{Queued: 1, Refused: 1} wrapping ErrPartial", id, err2)
	}
	st2, _ := nodes[0].Stats()
	if st2.NodeDrops[dropQueueFull] <= st.NodeDrops[dropQueueFull] {
		t.Fatal("the refused payload of the partial publish was not counted")
	}
	m, err := sub.Next(ctx)
	if err != nil || m.ID != id {
		t.Fatalf("node 2 did not get the partially queued message: %+v %v", m, err)
	}
}
