package node

import (
	"context"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Blacklist blocks peer id until Unblacklist (go-libp2p-pubsub's
// BlacklistPeer): its session is ended at once, it is never a peer again
// (a session it opens, or one the node opens, is ended as soon as it
// would become a peer), whatever it sends is dropped, and so is every
// message it authored, whoever forwards it (under StrictSign; under
// StrictNoSign messages name no author). The drops count in
// Stats.Router.Drops as "blacklisted". It is a GossipSub block: the peer
// stays in the membership view (SWIM still probes it), and the peer
// manager keeps it out for Config.DisconnectBackoff at a time, after
// which a redial is refused again. A direct peer (Config.Direct) is
// disconnected too but redialled: remove it from Direct to stop that. The
// blacklist is in memory only: a restarted node starts without it. When
// Blacklist returns, Peers no longer lists id. Errors: ErrClosed.
func (n *Node) Blacklist(id peer.ID) error {
	return n.do(context.Background(), func(now time.Time) {
		n.r.Blacklist(now, id) // EventBlacklisted when id was a peer
		n.pm.Ban(now, id, "blacklisted")
		n.flush(now) // acts on EventBlacklisted: Peers no longer lists id
	})
}

// Unblacklist lifts Blacklist: id may be a peer again, and the peer
// manager may dial it at once. Errors: ErrClosed.
func (n *Node) Unblacklist(id peer.ID) error {
	return n.do(context.Background(), func(time.Time) {
		n.r.Unblacklist(id)
		n.pm.Unban(id)
	})
}

// Blacklisted returns the blacklisted peers, sorted (nil after Close).
func (n *Node) Blacklisted() []peer.ID {
	var ids []peer.ID
	_ = n.do(context.Background(), func(time.Time) { ids = n.r.Blacklisted() })
	return ids
}

// blacklisted ends the session of a peer the router blacklisted or
// refused. Called on the loop for EventBlacklisted.
func (n *Node) blacklisted(now time.Time, id peer.ID) {
	n.pm.Ban(now, id, "blacklisted") // keeps it from being dialled; nothing for a direct peer
	if s := n.sessions[id]; s != nil && !s.ending {
		n.endSession(id)
	}
}
