package topic

import (
	"context"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// Option configures Join.
type Option func(*options)

type options struct {
	validator any // func(context.Context, peer.ID, T) validator.Result
	wait      bool
	minPeers  int
	vTimeout  time.Duration
	vConc     int
	vInline   bool
	msgID     func(m *rpc.Message) string
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

// WithValidatorTimeout bounds one validation of a received value
// (go-libp2p-pubsub's WithValidatorTimeout): past d the value is ignored
// (neither delivered nor forwarded, counted as a validation timeout), and
// the validator's ctx ends. Default 5 s. See node.TopicOptions.
func WithValidatorTimeout(d time.Duration) Option {
	return func(o *options) { o.vTimeout = d }
}

// WithValidatorConcurrency bounds the topic's validations in flight to n
// (go-libp2p-pubsub's WithValidatorConcurrency); a value over it is
// ignored and counted as throttled. See node.TopicOptions.
func WithValidatorConcurrency(n int) Option {
	return func(o *options) { o.vConc = n }
}

// WithValidatorInline runs the validator on the node's event loop,
// synchronously (go-libp2p-pubsub's WithValidatorInline): for validators
// that are cheap and never block; it must not call the node. See
// node.TopicOptions.ValidateInline.
func WithValidatorInline() Option {
	return func(o *options) { o.vInline = true }
}

// WithMessageID makes fn compute the topic's message ids in place of the
// node's Config.MessageID (go-libp2p-pubsub's per-topic WithMessageIdFn).
// Every node of the topic must use the same function. fn sees the encoded
// message (m.Data), runs on the event loop, must be fast and
// deterministic and must not keep m.
func WithMessageID(fn func(m *rpc.Message) string) Option {
	return func(o *options) { o.msgID = fn }
}

// SubOption configures Subscribe.
type SubOption func(*subOptions)

type subOptions struct{ buffer int }

// WithBuffer sets the subscription's buffer, in messages (default: the
// node's SubscriptionBuffer). When it is full the oldest message is lost.
func WithBuffer(n int) SubOption {
	return func(o *subOptions) { o.buffer = n }
}
