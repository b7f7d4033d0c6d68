package router

import (
	"errors"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

var errStub = errors.New("router: not implemented yet")

// Router is the GossipSub state machine. Not safe for concurrent use: every
// method must be called from one goroutine (or under one lock).
type Router struct{ out Output }

// New returns a Router for cfg, or every problem with cfg joined, each
// wrapping ErrConfig.
func New(cfg Config) (*Router, error) { return nil, errStub }

// AddPeer adds a connected peer.
func (r *Router) AddPeer(now time.Time, id peer.ID, opts PeerOptions) {}

// RemovePeer forgets a disconnected peer.
func (r *Router) RemovePeer(now time.Time, id peer.ID) {}

// HandlePayload decodes and handles one payload from a peer, taking
// ownership of payload.
func (r *Router) HandlePayload(now time.Time, from peer.ID, payload []byte) error { return errStub }

// HandleRPC handles one decoded RPC from a peer, taking ownership of it.
func (r *Router) HandleRPC(now time.Time, from peer.ID, m *rpc.RPC) {}

// Join subscribes to topic.
func (r *Router) Join(now time.Time, topic string) error { return errStub }

// Leave unsubscribes from topic.
func (r *Router) Leave(now time.Time, topic string) error { return errStub }

// Publish publishes data to topic and returns its message id.
func (r *Router) Publish(now time.Time, topic string, data []byte) (string, error) {
	return "", errStub
}

// SetValidator sets topic's validator.
func (r *Router) SetValidator(topic string, v TopicValidator) {}

// ValidationDone reports an asynchronous validation's result.
func (r *Router) ValidationDone(now time.Time, id ValidationID, res validator.Result) {}

// Tick runs due heartbeats and timers.
func (r *Router) Tick(now time.Time) {}

// Ready returns the output produced since the last call.
func (r *Router) Ready() *Output { return &r.out }

// ID returns the router's peer ID.
func (r *Router) ID() peer.ID { return peer.ID{} }

// Mesh returns topic's mesh peers, sorted.
func (r *Router) Mesh(topic string) []peer.ID { return nil }

// Fanout returns topic's fan-out peers, sorted.
func (r *Router) Fanout(topic string) []peer.ID { return nil }

// Peers returns the connected peers, sorted.
func (r *Router) Peers() []peer.ID { return nil }

// PeerTopics returns the topics p announced, sorted.
func (r *Router) PeerTopics(p peer.ID) []string { return nil }

// Stats returns the counters.
func (r *Router) Stats() Stats { return Stats{} }
