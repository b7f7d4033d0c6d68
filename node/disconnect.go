package node

import (
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// disconnect removes p from the router, ends its transport session and
// keeps it out for Config.DisconnectBackoff: the peer manager does not
// dial it, and a session it starts in that time is ended at once (see
// refuse). Its payloads still in flight are dropped as dropShedPeer.
// Called on the loop.
func (n *Node) disconnect(now time.Time, p peer.ID, reason string) {
	n.peerDown(now, p, reason)
	until := now.Add(n.cfg.DisconnectBackoff)
	n.banned[p] = until
	n.book.holdOff(p, until)
	n.shed[p] = struct{}{}
	n.endSession(p)
}

// refuse reports whether p, whose session just came up from addr, is kept
// out by an earlier disconnect, and if so ends that session. A session we
// dialled ourselves lifts the ban instead: the peer manager does not dial
// banned peers, so that dial is the application's Connect. Called on the
// loop for EventPeerUp.
func (n *Node) refuse(now time.Time, p peer.ID, addr netip.AddrPort) bool {
	until, ok := n.banned[p]
	if !ok {
		return false
	}
	_, dialled := n.expectUp[p]
	if !now.Before(until) || dialled || n.pending[addr] > 0 {
		delete(n.banned, p)
		delete(n.shed, p)
		return false
	}
	n.counts.refused++
	n.shed[p] = struct{}{}
	n.endSession(p)
	return true
}

// endSession calls transport Disconnect off the loop: its EventPeerDown
// waits for room on the Events channel, which only the loop drains. The
// goroutine ends at the latest when the transport closes (bg is waited for
// after it).
func (n *Node) endSession(p peer.ID) {
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		_ = n.conn.Disconnect(p) // ErrUnknownPeer: already gone
	}()
}

// expireBans forgets bans that ran out, keeping the map bounded by the
// peers disconnected within one backoff.
func (n *Node) expireBans(now time.Time) {
	for p, until := range n.banned {
		if !now.Before(until) {
			delete(n.banned, p)
		}
	}
}
