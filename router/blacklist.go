package router

import (
	"maps"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Blacklist blocks peer id (go-libp2p-pubsub's BlacklistPeer): when it is
// connected it is removed as by RemovePeer (EventUnsubscribe for its
// joined topics, EventPrune for its meshes) and an EventBlacklisted asks
// the owner to end its connection; from now on AddPeer refuses it (again
// with EventBlacklisted), input from it is dropped (ErrBlacklisted), the
// messages it authored are dropped whoever forwards them (without penalty
// for the forwarder), and peer exchange never suggests it. Each drop counts
// as DropBlacklisted. The blacklist lasts until Unblacklist; it is as large
// as the caller makes it. Blacklisting the router's own ID does nothing.
func (r *Router) Blacklist(now time.Time, id peer.ID) {
	r.begin(now)
	if id == r.id {
		return
	}
	r.blacklist[id] = struct{}{}
	if r.peers[id] != nil {
		r.RemovePeer(now, id)
		r.emit(Event{Kind: EventBlacklisted, Peer: id})
	}
}

// Unblacklist lifts id's blacklisting; the owner may connect it again
// (AddPeer). It produces no output.
func (r *Router) Unblacklist(id peer.ID) { delete(r.blacklist, id) }

// Blacklisted returns the blacklisted peers, sorted, in a new slice.
func (r *Router) Blacklisted() []peer.ID {
	return slices.SortedFunc(maps.Keys(r.blacklist), peer.ID.Compare)
}

// dropUnknown counts input from a peer that is not added: DropBlacklisted
// (ErrBlacklisted) for a blacklisted one, else DropUnknownPeer
// (ErrUnknownPeer).
func (r *Router) dropUnknown(from peer.ID) error {
	if _, ok := r.blacklist[from]; ok {
		r.stats.Drops[DropBlacklisted]++
		return ErrBlacklisted
	}
	r.stats.Drops[DropUnknownPeer]++
	return ErrUnknownPeer
}

// blacklistedAuthor reports whether m was authored by a blacklisted peer.
// Cheap when the blacklist is empty.
func (r *Router) blacklistedAuthor(from []byte) bool {
	if len(r.blacklist) == 0 || len(from) != peer.IDSize {
		return false
	}
	_, ok := r.blacklist[peer.ID(from)]
	return ok
}
