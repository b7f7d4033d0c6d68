package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// MaxTopicLen is the longest topic name, in bytes (rpc.DefaultLimits'
// MaxTopicLen, so that every node accepts it).
const MaxTopicLen = 256

// TopicOptions configure JoinTopic. The zero value is a topic without
// validator whose Publish fails with ErrQueueFull under backpressure.
type TopicOptions struct {
	// Validator, when set, validates every received message of the topic
	// on the worker pool before it is delivered or forwarded, and every
	// message given to Publish, in Publish's goroutine.
	Validator ValidatorFunc
	// ValidatorTimeout bounds one validation of a received message
	// (go-libp2p-pubsub's WithValidatorTimeout): when it passes, the
	// message is ignored (not delivered, not forwarded, not penalised) and
	// counted in Stats.Router.ValidationTimeout and as drop
	// "router/validation-timeout"; a result that comes later is counted
	// as "router/validation-late". The validator's ctx ends at the
	// timeout too, so it can give up. Zero: 5 s. Only with Validator.
	ValidatorTimeout time.Duration
	// ValidatorConcurrency bounds the topic's validations in flight,
	// queued or running (go-libp2p-pubsub's WithValidatorConcurrency);
	// a message over it is ignored and counted as drop
	// "router/validation-throttled". Zero: no bound of the topic's own
	// (1024 per topic and in total still apply). Only with Validator.
	ValidatorConcurrency int
	// ValidateInline runs Validator on the event loop, synchronously,
	// instead of on the worker pool (go-libp2p-pubsub's
	// WithValidatorInline): no hand-off, for validators that are cheap
	// and never block. It delays everything else the node does while it
	// runs, and it must not call the node. Own messages are validated on
	// the loop too, when Publish hands them over. ValidatorTimeout and
	// ValidatorConcurrency do not apply; the validator's ctx ends when the
	// node closes.
	ValidateInline bool
	// MessageID, when set, computes the ids of the topic's messages in
	// place of Config.MessageID (go-libp2p-pubsub's per-topic
	// WithMessageIdFn), for own and received messages. Every node of the
	// topic must use the same function: ids name messages in gossip
	// (IHAVE, IWANT, IDONTWANT) and duplicate detection, so a node with
	// another function asks for and forwards copies it already has. It
	// runs on the event loop, must be fast and deterministic, must not
	// keep m and should not return "".
	MessageID func(m *rpc.Message) string
	// WaitForRoom makes Publish wait, within its ctx, while a peer's send
	// queue is above Config.PublishHighWater or the node is behind with
	// what it received, instead of queueing at once.
	WaitForRoom bool
	// MinPeers makes Publish wait, within its ctx, until at least this
	// many peers are subscribed to the topic (go-libp2p-pubsub's
	// WithReadiness(MinTopicSize(n))), so that a message is not published
	// to nobody; when ctx ends first, Publish fails with ErrNoPeers. Zero:
	// Publish does not wait.
	MinPeers int
}

// TopicHandle is the node's lower-level handle on one joined topic, on
// which package topic builds its typed handles; advanced users may use it
// directly. Safe for concurrent use.
type TopicHandle struct {
	n        *Node
	name     string
	opts     TopicOptions
	validate ValidatorFunc // set by JoinTopic, never changed
	closed   atomic.Bool
	mu       sync.Mutex
	subs     []*Subscription
	watches  []*PeerEvents // owned by the event loop
}

// CheckTopic returns an error wrapping ErrBadTopic when name is not a
// valid topic name: empty, longer than MaxTopicLen, or not UTF-8.
func CheckTopic(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadTopic)
	case len(name) > MaxTopicLen:
		return fmt.Errorf("%w: %d bytes > %d", ErrBadTopic, len(name), MaxTopicLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not UTF-8", ErrBadTopic)
	}
	return nil
}

// JoinTopic joins topic name: the router announces the subscription and
// builds a mesh. One handle per topic per node: a second JoinTopic of the
// same name fails with ErrJoined until the first handle is closed. Errors:
// ErrBadTopic, ErrJoined, ErrClosed, ErrConfig (negative
// ValidatorTimeout or ValidatorConcurrency).
//
// Joining is what makes the node take part in the topic: from then on it
// is in the topic's mesh and validates and forwards the topic's messages
// (and gossips about them) whether or not it has a Subscription. A
// handle without subscriptions is thus a relay (go-libp2p-pubsub's
// Topic.Relay): messages reach it, are checked by its Validator and passed
// on, and are delivered to nobody locally. Subscriptions only decide who
// reads them here; Close of the handle stops the relaying.
func (n *Node) JoinTopic(name string, opts TopicOptions) (*TopicHandle, error) {
	if err := CheckTopic(name); err != nil {
		return nil, err
	}
	if opts.ValidatorTimeout < 0 || opts.ValidatorConcurrency < 0 {
		return nil, fmt.Errorf("%w: topic %q: ValidatorTimeout %v and ValidatorConcurrency %d must be ≥ 0",
			ErrConfig, name, opts.ValidatorTimeout, opts.ValidatorConcurrency)
	}
	h := &TopicHandle{n: n, name: name, opts: opts, validate: withTimeout(opts.Validator, opts.ValidatorTimeout)}
	var err error
	if e := n.do(context.Background(), func(now time.Time) {
		if n.topics[name] != nil {
			err = fmt.Errorf("%w: %q", ErrJoined, name)
			return
		}
		n.r.SetValidator(name, h.routerValidator())
		n.r.SetTopicMessageID(name, opts.MessageID)
		if err = n.r.Join(now, name); err != nil {
			err = fmt.Errorf("%w: %w", ErrJoined, err)
			return
		}
		n.topics[name] = h
	}); e != nil {
		return nil, e
	}
	return h, err
}

// Name returns the topic's name.
func (h *TopicHandle) Name() string { return h.name }

// Publish publishes data to the topic and returns the message id. data is
// copied. What it reports of each way a message can be lost, and where
// Stats counts it:
//
// Refused before it was published: "" and an error; nothing was sent, and
// the message is neither delivered locally nor in the message cache.
// ErrClosed, ErrTopicClosed; ErrTooLarge (over Config.MaxMessageSize);
// ErrNoPeers (MinPeers peers were not there when ctx ended); ErrQueueFull
// (WaitForRoom, and ctx ended while waiting); ErrRejected (the topic's
// Validator, run here with ctx and the node's own ID as from, returned
// Reject or Ignore); ErrDuplicate (its id was seen recently: under
// StrictNoSign, the same data was published or received in the topic);
// ctx's error. None of these is a drop in Stats; duplicates count in
// Stats.Published (calls that reached the router), not in
// Stats.Router.Published.
//
// Published, but not queued to every peer it was meant for: the id and a
// *PublishError. The message was delivered to the node's own
// subscriptions, counted in Stats.Router.Published, and stays in the
// message cache (gossip may still carry it). Its Unwrap tells which:
//   - ErrNoPeers: it was meant for no peer (none subscribed, or none
//     scoring PublishThreshold); only peers that join the topic within the
//     gossip window (Params.HistoryGossip heartbeats) may still get it.
//     Counted in Stats.NodeDrops as "published-to-no-peer" (Stats.Drops
//     key "node/published-to-no-peer"). MinPeers, or WaitPeers first,
//     waits for peers instead.
//   - ErrQueueFull: every peer's send queue refused it.
//   - ErrPartial: some peers' queues took it (PublishError.Queued) and the
//     others refused it (Refused); the message left, and those that got it
//     forward it.
//
// Each refused payload counts in Stats.NodeDrops as "send-queue-full"
// ("node/send-queue-full", with "transport/queue-full"), or "peer-gone"
// when the peer's session had just ended.
//
// Queued to every peer: the id and nil. Later losses are not Publish's to
// report; they are counted where they happen: a queued payload evicted by
// later control traffic or discarded when its peer goes down
// ("transport/queue-full", "transport/peer-down"), and what the network
// or the receivers drop.
func (h *TopicHandle) Publish(ctx context.Context, data []byte) (string, error) {
	n := h.n
	switch {
	case n.closed.Load():
		return "", ErrClosed
	case h.closed.Load():
		return "", ErrTopicClosed
	case len(data) > n.cfg.MaxMessageSize:
		return "", fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(data), n.cfg.MaxMessageSize)
	}
	if h.validate != nil && !h.opts.ValidateInline { // inline: the router runs it on the loop
		j := vjob{topic: h.name, from: n.ID(), data: data, fn: h.validate}
		if res := n.runValidator(ctx, j); res != validator.Accept {
			return "", fmt.Errorf("%w: %v", ErrRejected, res)
		}
	}
	if h.opts.MinPeers > 0 {
		if err := h.WaitPeers(ctx, h.opts.MinPeers); err != nil {
			return "", err
		}
	}
	if h.opts.WaitForRoom {
		if err := n.waitRoom(ctx); err != nil {
			return "", err
		}
	}
	data = bytes.Clone(data)
	if data == nil {
		data = []byte{}
	}
	var (
		id  string
		err error
		res = flushResult{handed: n.clock.Now()}
	)
	if e := n.do(ctx, func(now time.Time) {
		id, err = n.r.Publish(now, h.name, data)
		n.counts.published++
		n.flushInto(now, &res) // the Output marks what the publish produced
	}); e != nil {
		return "", e
	}
	switch {
	case errors.Is(err, router.ErrDuplicate):
		return "", fmt.Errorf("%w: %w", ErrDuplicate, err)
	case errors.Is(err, router.ErrRejected):
		return "", fmt.Errorf("%w: %w", ErrRejected, err)
	case err != nil:
		return "", err
	case res.ownPeers == 0 || res.ownRefused > 0:
		return id, &PublishError{ID: id, Topic: h.name, Queued: res.ownQueued, Refused: res.ownRefused}
	}
	return id, nil
}

// Peers returns the peers subscribed to the topic, sorted (go-libp2p-
// pubsub's ListPeers). After Close of the node it returns nil.
func (h *TopicHandle) Peers() []peer.ID {
	var ids []peer.ID
	if err := h.n.do(context.Background(), func(time.Time) { ids = h.n.r.TopicPeers(h.name) }); err != nil {
		return nil
	}
	return ids
}

// WaitPeers returns when at least k peers are subscribed to the topic.
// Errors: ErrNoPeers wrapping ctx's error when ctx ends first, ErrClosed.
func (h *TopicHandle) WaitPeers(ctx context.Context, k int) error {
	n := h.n
	ch := make(chan struct{})
	if err := n.do(ctx, func(time.Time) {
		n.topicWait = append(n.topicWait, topicWaiter{topic: h.name, k: k, ch: ch})
		n.wakeTopicWaiters()
	}); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-n.loopDone:
		return ErrClosed
	case <-ctx.Done():
		_ = n.do(context.Background(), func(time.Time) { n.dropTopicWaiter(ch) })
		return fmt.Errorf("%w: %w", ErrNoPeers, ctx.Err())
	}
}

// topicWaiter is a WaitPeers call waiting on the loop.
type topicWaiter struct {
	topic string
	k     int
	ch    chan struct{}
}

// wakeTopicWaiters releases the WaitPeers calls whose topic has enough
// peers. Called on the loop after the router's output.
func (n *Node) wakeTopicWaiters() {
	if len(n.topicWait) == 0 {
		return
	}
	n.topicWait = slices.DeleteFunc(n.topicWait, func(w topicWaiter) bool {
		if len(n.r.TopicPeers(w.topic)) < w.k {
			return false
		}
		close(w.ch)
		return true
	})
}

// dropTopicWaiter forgets a WaitPeers call whose ctx ended.
func (n *Node) dropTopicWaiter(ch chan struct{}) {
	n.topicWait = slices.DeleteFunc(n.topicWait, func(w topicWaiter) bool { return w.ch == ch })
}

// waitRoom waits while any peer's send queue is above PublishHighWater.
func (n *Node) waitRoom(ctx context.Context) error {
	var t *time.Timer
	for wait := 50 * time.Microsecond; ; wait = min(2*wait, 5*time.Millisecond) {
		if !n.queuesFull() {
			return nil
		}
		if n.closed.Load() {
			return ErrClosed
		}
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		} else {
			t.Reset(wait)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrQueueFull, ctx.Err())
		}
	}
}

// queuesFull reports whether a peer's send queue is above the high water,
// or this node's own backlog of received payloads is above a quarter of
// the transport's event queue (the node is not keeping up; payloads beyond
// the queue would be dropped).
func (n *Node) queuesFull() bool {
	if queued, limit := n.conn.QueuedEvents(); queued > limit/4 {
		return true
	}
	for _, p := range n.conn.Peers() {
		if ps, ok := n.conn.PeerStats(p); ok && ps.QueuedBytes > n.cfg.PublishHighWater {
			return true
		}
	}
	return false
}

// Subscribe returns a new subscription with a buffer of size messages
// (size ≤ 0: Config.SubscriptionBuffer). Errors: ErrTopicClosed, ErrClosed.
func (h *TopicHandle) Subscribe(size int) (*Subscription, error) {
	if size <= 0 {
		size = h.n.cfg.SubscriptionBuffer
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.n.closed.Load():
		return nil, ErrClosed
	case h.closed.Load():
		return nil, ErrTopicClosed
	}
	s := newSubscription(h, size)
	h.subs = append(h.subs, s)
	return s, nil
}

// Mesh returns the topic's mesh peers, sorted (nil once closed).
func (h *TopicHandle) Mesh() []peer.ID {
	var ids []peer.ID
	_ = h.n.do(context.Background(), func(time.Time) { ids = h.n.r.Mesh(h.name) })
	return ids
}

// Close leaves the topic (the router sends PRUNEs to the mesh) and ends
// every subscription with ErrTopicClosed. Idempotent.
func (h *TopicHandle) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	n := h.n
	err := n.do(context.Background(), func(now time.Time) {
		if n.topics[h.name] == h {
			delete(n.topics, h.name)
			_ = n.r.Leave(now, h.name)
			n.r.SetValidator(h.name, router.TopicValidator{})
			n.r.SetTopicMessageID(h.name, nil)
			h.endWatches(ErrTopicClosed)
		}
	})
	h.endSubs(ErrTopicClosed)
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// deliver pushes m to every subscription. Called by the loop.
func (h *TopicHandle) deliver(m Message) {
	h.mu.Lock()
	for _, s := range h.subs {
		s.push(m)
	}
	h.mu.Unlock()
}

func (h *TopicHandle) removeSub(s *Subscription) {
	h.mu.Lock()
	h.subs = slices.DeleteFunc(h.subs, func(x *Subscription) bool { return x == s })
	h.mu.Unlock()
}

func (h *TopicHandle) endSubs(err error) {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.mu.Unlock()
	for _, s := range subs {
		s.end(err)
	}
}

// closeHandles ends every topic's subscriptions when the node closes.
func (n *Node) closeHandles() {
	for _, h := range n.topics {
		h.closed.Store(true)
		h.endSubs(ErrClosed)
		h.endWatches(ErrClosed)
	}
}
