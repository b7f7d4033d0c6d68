package node

import (
	"net/netip"

	"github.com/gwyh/gwyh/peer"
)

// Tracer receives one call per protocol event. The node calls it on its
// event loop, one call at a time, so an implementation needs no locking
// against itself, but it must be fast and must not call back into the node.
// Strings and IDs passed in may be kept. Embed NopTracer to implement only
// some methods.
type Tracer interface {
	// PeerUp: a session with p was established and p was added to the
	// router; outbound says whether this node dialled.
	PeerUp(p peer.ID, addr netip.AddrPort, outbound bool)
	// PeerDown: p was removed (timed out, shed, or graylisted).
	PeerDown(p peer.ID, reason string)
	// Graft: p joined this node's mesh for topic.
	Graft(p peer.ID, topic string)
	// Prune: p left this node's mesh for topic.
	Prune(p peer.ID, topic string)
	// Deliver: message id of topic, authored by from and received from
	// receivedFrom, was handed to local subscribers.
	Deliver(id, topic string, from, receivedFrom peer.ID, local bool)
	// Reject: message id of topic from p failed validation or the
	// signature policy.
	Reject(id, topic string, p peer.ID, cause string)
	// Duplicate: n more duplicate copies were received since the last call
	// (the router counts duplicates in bulk).
	Duplicate(n uint64)
	// Drop: something from or for p was dropped for cause (a router,
	// transport or node drop cause name).
	Drop(p peer.ID, topic, cause string)
	// Graylist: an RPC from p was dropped because p's score is below the
	// graylist threshold.
	Graylist(p peer.ID)
}

// NopTracer is a Tracer that does nothing; embed it to implement only some
// methods. The zero value is ready to use.
type NopTracer struct{}

var _ Tracer = NopTracer{}

// PeerUp does nothing.
func (NopTracer) PeerUp(peer.ID, netip.AddrPort, bool) {}

// PeerDown does nothing.
func (NopTracer) PeerDown(peer.ID, string) {}

// Graft does nothing.
func (NopTracer) Graft(peer.ID, string) {}

// Prune does nothing.
func (NopTracer) Prune(peer.ID, string) {}

// Deliver does nothing.
func (NopTracer) Deliver(string, string, peer.ID, peer.ID, bool) {}

// Reject does nothing.
func (NopTracer) Reject(string, string, peer.ID, string) {}

// Duplicate does nothing.
func (NopTracer) Duplicate(uint64) {}

// Drop does nothing.
func (NopTracer) Drop(peer.ID, string, string) {}

// Graylist does nothing.
func (NopTracer) Graylist(peer.ID) {}
