package topic

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/validator"
)

// Topic is a typed handle on one joined topic of a node. Safe for
// concurrent use.
type Topic[T any] struct {
	h     *node.TopicHandle
	codec Codec[T]
}

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
// node.ErrJoined (one handle per topic per node), ErrValidatorType.
func Join[T any](n *node.Node, name string, c Codec[T], opts ...Option) (*Topic[T], error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	to := node.TopicOptions{WaitForRoom: o.wait, MinPeers: o.minPeers}
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
