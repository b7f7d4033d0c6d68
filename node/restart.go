package node

import (
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// A peer that restarts with the same identity (and address) faster than
// the transport's PeerDownTimeout gets a new session without a new
// EventPeerUp, so our router still holds the old incarnation's state and
// never re-announces its subscriptions to the new one, which then cannot
// graft or publish to us. A fresh router announces its subscriptions, so a
// SUBSCRIBE arriving on a transport session other than the one the peer
// had when the router last got it betrays a restart. The node then removes
// and re-adds the peer, which makes the router announce our topics to it
// again, and remembers the session, so that it re-adds a peer at most once
// per session: the re-announcement, seen from the other side on an
// unchanged session, does not bounce back. A false positive (a topic
// joined after a rekey) costs that peer's mesh places until the next
// heartbeat.
//
// Payloads are packed in field-number order, so one with subscriptions
// starts with the tag of RPC field 1; only those (rare: sent on joins,
// leaves and new peers) are decoded a second time.
const subscriptionsTag = 1<<3 | 2 // field 1, length-delimited

// checkRestart looks at a payload from p before the router does.
func (n *Node) checkRestart(now time.Time, p peer.ID, payload []byte) {
	if len(payload) == 0 || payload[0] != subscriptionsTag {
		return
	}
	pi := n.peers[p]
	if pi == nil {
		return
	}
	ps, ok := n.conn.PeerStats(p)
	if !ok || ps.SessionStart.Equal(pi.session) {
		return
	}
	if err := rpc.Decode(payload, n.limits, &n.scratch); err != nil {
		return // the router will count it
	}
	defer n.scratch.Reset()
	for _, s := range n.scratch.Subscriptions {
		if s.Subscribe {
			pi.session = ps.SessionStart
			n.readd(now, p, pi)
			return
		}
	}
}

// readd removes p from the router and adds it again as new.
func (n *Node) readd(now time.Time, p peer.ID, pi *peerInfo) {
	n.counts.restarts++
	n.r.RemovePeer(now, p)
	dir := router.Inbound
	if pi.outbound {
		dir = router.Outbound
	}
	n.r.AddPeer(now, p, router.PeerOptions{
		Direction: dir, Record: []byte(pi.addr.String()), IP: pi.addr.Addr(), Direct: pi.direct,
	})
	n.log.Debug("peer restarted", "peer", p.Short())
}
