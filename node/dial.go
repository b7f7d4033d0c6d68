package node

import (
	"context"
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// maxDialing bounds the dials in flight started by the peer manager.
const maxDialing = 8

// maintain runs the peer manager once: it dials direct peers that are
// down, bootstrap peers that are down, and learnt peers while fewer than
// PeersLow are connected.
func (n *Node) maintain(now time.Time) {
	n.nextMnt = now.Add(max(n.cfg.Gossip.HeartbeatInterval, 100*time.Millisecond))
	want := n.cfg.PeersLow - len(n.peers) - n.dialing
	desperate := len(n.peers) < max(1, n.cfg.PeersLow/3)
	byAddr := make(map[netip.AddrPort]peer.ID, len(n.peers))
	for id, pi := range n.peers {
		byAddr[pi.addr] = id
	}
	for _, e := range n.book.candidates(now, want, n.ID(), desperate) {
		if n.dialing >= maxDialing {
			break
		}
		// Never dial a connected peer: a dial makes a fresh session.
		if id, ok := byAddr[e.addr]; ok && e.target.id.IsZero() {
			e.target.id = id
		}
		if _, ok := n.peers[e.target.id]; ok && !e.target.id.IsZero() {
			e.up = true
			continue
		}
		n.startDial(e)
	}
	n.book.forget()
	n.trim(now)
	n.expireBans(now)
}

// startDial dials one book entry in a goroutine; the result comes back to
// the loop as a call.
func (n *Node) startDial(e *bookEntry) {
	e.dialing = true
	n.dialing++
	// The goroutine works on a copy: the loop may name e (book.connected)
	// while the dial is under way. e itself is touched only in the
	// callback, which runs on the loop.
	t := e.target
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.DialTimeout)
		defer cancel()
		ap, err := resolve(t.addr)
		if err == nil {
			_, err = n.dialAddr(ctx, ap, t.id)
		}
		_ = n.do(n.ctx, func(now time.Time) {
			e.dialing = false
			n.dialing--
			if err != nil {
				n.book.failed(e, now)
				n.counts.dialFailures++
				n.log.Debug("dial failed", "addr", t.addr, "err", err)
				return
			}
			n.counts.dials++
			if e.addr == (netip.AddrPort{}) {
				e.addr = ap
			}
		})
	}()
}

// dialAddr registers ap as an outbound dial (so that the peer is added as
// outbound), dials it and keeps the registration until the peer is up.
func (n *Node) dialAddr(ctx context.Context, ap netip.AddrPort, expect peer.ID) (peer.ID, error) {
	if err := n.do(ctx, func(time.Time) { n.pending[ap]++ }); err != nil {
		return peer.ID{}, err
	}
	id, err := n.conn.Dial(ctx, ap.String(), expect)
	_ = n.do(context.Background(), func(time.Time) {
		_, up := n.peers[id]
		if err != nil || up || id.IsZero() {
			n.release(ap)
			return
		}
		if old, ok := n.expectUp[id]; ok {
			n.release(old)
		}
		n.expectUp[id] = ap // released by peerUp
	})
	return id, n.errClosed(err)
}

// release ends one outbound registration of ap.
func (n *Node) release(ap netip.AddrPort) {
	if n.pending[ap] <= 1 {
		delete(n.pending, ap)
		return
	}
	n.pending[ap]--
}
