package topic

import (
	"context"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/validator"
)

// Option configures Join.
type Option func(*options)

type options struct {
	validator any // func(context.Context, peer.ID, T) validator.Result
	wait      bool
	minPeers  int
}

// WithValidator validates every received value of the topic before it is
// delivered or forwarded: Accept delivers and forwards it, Reject drops it
// and penalises the sender (when scoring is on), Ignore drops it quietly. A
// message that does not decode is a Reject. fn runs on the node's worker
// pool, concurrently; ctx ends when the node closes. It also checks every
// value Publish is given, in Publish's goroutine with Publish's ctx (a
// refused value fails with ErrRejected). T must be the Topic's value type
// (else Join fails with ErrValidatorType).
func WithValidator[T any](fn func(ctx context.Context, from peer.ID, v T) validator.Result) Option {
	return func(o *options) { o.validator = fn }
}

// WaitForRoom makes Publish wait, within its ctx, while a peer's send queue
// is above the node's PublishHighWater, instead of failing with
// ErrQueueFull when every queue is full: backpressure rather than loss.
func WaitForRoom() Option {
	return func(o *options) { o.wait = true }
}

// WithMinPeers makes Publish wait, within its ctx, until at least n peers
// are subscribed to the topic (go-libp2p-pubsub's
// WithReadiness(MinTopicSize(n))), so that a value is never published to
// nobody; when ctx ends first Publish fails with ErrNoPeers.
func WithMinPeers(n int) Option {
	return func(o *options) { o.minPeers = n }
}

// SubOption configures Subscribe.
type SubOption func(*subOptions)

type subOptions struct{ buffer int }

// WithBuffer sets the subscription's buffer, in messages (default: the
// node's SubscriptionBuffer). When it is full the oldest message is lost.
func WithBuffer(n int) SubOption {
	return func(o *subOptions) { o.buffer = n }
}
