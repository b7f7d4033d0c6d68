package node

import (
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Where each peer is, for the strategy (Config.Gossip.Strategy): the
// router learns a peer's zone from its membership record, when the peer is
// linked and whenever membership learns a new record, and its round-trip
// time from the transport, once per peer-manager round.
//
// The transport takes an RTT sample from each keepalive pong: the first
// ping goes out at its first tick after the session is up (10 ms by
// default), then one per KeepaliveInterval (1 s). Polling the smoothed
// value once per round (a heartbeat, 1 s by default) therefore misses
// little, and the router has a peer's first RTT about a heartbeat after
// the session came up. The poll is one PeerStats per peer per round: two
// short uncontended locks, no allocation, next to the transport's own
// per-peer tick that takes the same peer lock every TickInterval; it never
// runs per message.

// feedRTTs gives the router the RTT of every peer whose smoothed RTT
// changed since the last feed. Called on the loop.
func (n *Node) feedRTTs(now time.Time) {
	for id, pi := range n.peers {
		n.feedRTT(now, id, pi)
	}
}

// feedRTT gives the router id's RTT if the transport has a new one.
func (n *Node) feedRTT(now time.Time, id peer.ID, pi *peerInfo) {
	ps, ok := n.conn.PeerStats(id)
	if !ok || ps.RTT <= 0 || ps.RTT == pi.rtt {
		return
	}
	pi.rtt = ps.RTT
	n.r.SetRTT(now, id, ps.RTT)
}

// memberZone gives the router the zone of a linked peer's membership
// record when it differs from the one the router holds (the peer was
// linked before membership knew it, or it came back in another zone).
func (n *Node) memberZone(now time.Time, id peer.ID, zone string) {
	if _, ok := n.peers[id]; ok && n.r.Placement(id).Zone != zone {
		n.r.SetPeerZone(now, id, zone)
	}
}
