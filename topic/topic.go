package topic

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// Topic is a typed handle on one joined topic of a node. Safe for
// concurrent use.
type Topic[T any] struct {
	h     *node.TopicHandle
	codec Codec[T]
}

// PeerEvents, PeerEvent and its kinds report peers joining and leaving a
// topic (WatchPeers); they are the node package's.
type (
	PeerEvents    = node.PeerEvents
	PeerEvent     = node.PeerEvent
	PeerEventKind = node.PeerEventKind
)

// PeerJoin and PeerLeave are the kinds of PeerEvent.
const (
	PeerJoin  = node.PeerJoin
	PeerLeave = node.PeerLeave
)

// Message is a delivered value with its envelope.
type Message[T any] struct {
	Value T
	// From is the author (zero under StrictNoSign); ReceivedFrom is the
	// peer that forwarded it (the local node for own messages).
	From, ReceivedFrom peer.ID
	// ID is the message id; Topic the topic's name.
	ID    string
	Topic string
}

// Join joins topic name on n with codec c. Errors: ErrBadTopic, ErrClosed,
// node.ErrJoined (one handle per topic per node), ErrValidatorType,
// node.ErrConfig (a negative validator timeout or concurrency).
//
// A joined topic is relayed whether or not it has a Subscription: the
// node is in the topic's mesh and validates and forwards its messages
// (go-libp2p-pubsub's Relay); see node.Node.JoinTopic.
func Join[T any](n *node.Node, name string, c Codec[T], opts ...Option) (*Topic[T], error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	to := node.TopicOptions{
		WaitForRoom: o.wait, MinPeers: o.minPeers, MessageID: o.msgID,
		ValidatorTimeout: o.vTimeout, ValidatorConcurrency: o.vConc, ValidateInline: o.vInline,
	}
	if o.validator != nil {
		fn, ok := o.validator.(func(context.Context, peer.ID, T) validator.Result)
		if !ok {
			return nil, fmt.Errorf("%w: %T", ErrValidatorType, o.validator)
		}
		to.Validator = func(ctx context.Context, from peer.ID, data []byte) validator.Result {
			v, err := c.Decode(data)
			if err != nil {
				return validator.Reject
			}
			return fn(ctx, from, v)
		}
	}
	h, err := n.JoinTopic(name, to)
	if err != nil {
		return nil, err
	}
	return &Topic[T]{h: h, codec: c}, nil
}

// Peers returns the peers subscribed to the topic, sorted
// (go-libp2p-pubsub's ListPeers).
func (t *Topic[T]) Peers() []peer.ID { return t.h.Peers() }

// WaitPeers returns when at least n peers are subscribed to the topic, or
// fails with node.ErrNoPeers when ctx ends first (node.ErrClosed after
// Close).
func (t *Topic[T]) WaitPeers(ctx context.Context, n int) error { return t.h.WaitPeers(ctx, n) }

// Name returns the topic's name.
func (t *Topic[T]) Name() string { return t.h.Name() }

// Handle returns the node-level handle (raw bytes), for advanced use.
func (t *Topic[T]) Handle() *node.TopicHandle { return t.h }

// Publish encodes v and publishes it, with node.TopicHandle.Publish's
// outcomes (its doc lists every loss, its error and its counter).
//
// Not published (nothing sent): ErrEncode, ErrTooLarge, ErrTopicClosed,
// ErrClosed, ErrRejected (the topic's validator refused v), ErrNoPeers
// (WithMinPeers, and ctx ended first), ErrQueueFull (WaitForRoom, and ctx
// ended first), node.ErrDuplicate, ctx's error.
//
// Published but not queued to every peer meant to get it: a
// *node.PublishError (with the message id) wrapping ErrNoPeers (published
// to no peer: the value stays in the node's message cache, and only peers
// that join within the gossip window may still get it), ErrQueueFull (every
// peer's send queue refused it) or ErrPartial (some did; the others
// forward it). errors.As(err, new(*node.PublishError)) tells these from the
// errors above.
//
// nil: published and queued to every peer meant to get it.
func (t *Topic[T]) Publish(ctx context.Context, v T) error {
	data, err := t.codec.Encode(v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEncode, err)
	}
	_, err = t.h.Publish(ctx, data)
	return err
}

// PublishBatch encodes vs and publishes them together, so that the first
// copy of every value leaves before any value leaves a second time
// (go-libp2p-pubsub's MessageBatch); see node.TopicHandle.PublishBatch. It
// is all or nothing up to the router: when a value does not encode
// (ErrEncode) or is refused as Publish would refuse it, none is published.
// Once published, the error is nil or a *node.PublishError as for Publish.
func (t *Topic[T]) PublishBatch(ctx context.Context, vs []T) error {
	datas := make([][]byte, len(vs))
	for i, v := range vs {
		data, err := t.codec.Encode(v)
		if err != nil {
			return fmt.Errorf("%w: value %d: %w", ErrEncode, i, err)
		}
		datas[i] = data
	}
	_, err := t.h.PublishBatch(ctx, datas)
	return err
}

// WatchPeers returns a watch of the peers joining and leaving the topic
// (go-libp2p-pubsub's Topic.EventHandler), with a buffer of size events
// (size ≤ 0: 256): first a PeerJoin for each peer already there, then each
// change as it happens. Events that find the buffer full are dropped and
// counted (Dropped). End it with Cancel. Errors: ErrTopicClosed,
// ErrClosed.
func (t *Topic[T]) WatchPeers(size int) (*PeerEvents, error) { return t.h.WatchPeers(size) }

// SetScoreParams changes the topic's peer-score parameters while the node
// runs (go-libp2p-pubsub's Topic.SetScoreParams); see
// node.Node.SetTopicScoreParams. Errors: node.ErrScoringOff, ErrClosed,
// score.ErrConfig.
func (t *Topic[T]) SetScoreParams(tp score.TopicParams) error {
	return t.h.SetScoreParams(tp)
}

// Subscribe returns a new subscription to the topic's values. Errors:
// ErrTopicClosed, ErrClosed.
func (t *Topic[T]) Subscribe(opts ...SubOption) (*Subscription[T], error) {
	var o subOptions
	for _, opt := range opts {
		opt(&o)
	}
	s, err := t.h.Subscribe(o.buffer)
	if err != nil {
		return nil, err
	}
	return &Subscription[T]{s: s, codec: t.codec}, nil
}

// Close leaves the topic and ends its subscriptions (ErrTopicClosed).
// Idempotent.
func (t *Topic[T]) Close() error { return t.h.Close() }

// Subscription receives a topic's values. Safe for concurrent use.
type Subscription[T any] struct {
	s           *node.Subscription
	codec       Codec[T]
	undecodable atomic.Uint64
}

// Next returns the next value, waiting until one arrives or ctx ends.
// Messages that do not decode are skipped and counted (Undecodable).
// Errors: ErrCanceled, ErrTopicClosed, ErrClosed, ctx's error.
func (s *Subscription[T]) Next(ctx context.Context) (Message[T], error) {
	for {
		m, err := s.s.Next(ctx)
		if err != nil {
			return Message[T]{}, err
		}
		v, err := s.codec.Decode(m.Data)
		if err != nil {
			s.undecodable.Add(1)
			continue
		}
		return Message[T]{Value: v, From: m.From, ReceivedFrom: m.ReceivedFrom, ID: m.ID, Topic: m.Topic}, nil
	}
}

// Lost returns how many messages this subscription dropped because its
// buffer was full (the oldest go first).
func (s *Subscription[T]) Lost() uint64 { return s.s.Lost() }

// Undecodable returns how many messages Next skipped because they did not
// decode.
func (s *Subscription[T]) Undecodable() uint64 { return s.undecodable.Load() }

// Cancel ends the subscription; Next returns ErrCanceled. Idempotent.
func (s *Subscription[T]) Cancel() { s.s.Cancel() }
