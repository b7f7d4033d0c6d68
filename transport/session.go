package transport

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport/internal/pacer"
)

// newIndexLocked picks an unused random nonzero receiver index. c.mu held.
func (c *Conn) newIndexLocked() (uint32, error) {
	var b [4]byte
	for range 64 {
		_, _ = rand.Read(b[:])
		i := binary.LittleEndian.Uint32(b[:])
		if i == 0 {
			continue
		}
		if _, used := c.index[i]; used {
			continue
		}
		if _, used := c.pending[i]; used {
			continue
		}
		return i, nil
	}
	return 0, errIndexSpace
}

// newSession is a completed handshake, ready to install.
type newSession struct {
	id     peer.ID
	static []byte
	epoch  uint64 // the peer instance's epoch (see idPayload)
	// addr is the peer's address as proven by a round trip (see Event.Addr):
	// the address msg1 went to (initiator) or came from (responder), never
	// the bare source of the message that completed the handshake.
	addr      netip.AddrPort
	kp        *keypair
	current   bool   // usable for sending at once (initiator, or XX responder)
	keepalive bool   // send a packet at once so the responder confirms (IK initiator)
	began     uint64 // when the handshake began here (our attempt registered, or msg1 read), on Conn.order
}

// install makes s the peer's session: confirmed keypairs become current
// (old ones stay valid for receiving, see maxOldKeypairs), unconfirmed ones
// wait as next until the peer uses them. It emits EventPeerUp for a new peer.
// It returns the peer, or nil, with the drop counted, if the peer table is
// full, if s comes from an older instance of a peer that is up, or if s lost
// a crossed handshake (see crossedLocked).
func (c *Conn) install(s newSession, now time.Time) *peerState {
	c.mu.Lock()
	p := c.peers[s.id]
	if p != nil && !p.gone {
		restart, stale := p.restartedAs(s.static, s.epoch)
		if stale {
			c.mu.Unlock()
			c.stats.drop(DropStaleHandshake)
			return nil
		}
		if restart {
			// A new instance of the peer: the old one's session, queue and
			// partial messages go with an EventPeerDown if it was up, and
			// the new one comes up below as a fresh peer with its
			// EventPeerUp.
			c.mu.Unlock()
			if c.removePeerCounted(p, &c.stats.restarts, true) {
				c.log.Debug("transport: peer restarted", "peer", s.id.Short())
			}
			c.mu.Lock()
			p = c.peers[s.id]
		}
	}
	if p != nil && p.gone {
		p = nil
	}
	if lose, resend := c.crossedLocked(p, s); lose {
		var msg []byte
		if resend != nil {
			msg = slices.Clone(resend.msg)
		}
		c.mu.Unlock()
		c.stats.drop(DropHandshakeUnexpected)
		if msg != nil {
			c.sendRaw(msg, resend.addr)
		}
		return nil
	}
	if !s.kp.initiator && c.ID().Compare(s.id) > 0 {
		c.wonByPeerLocked(s.id, s.addr)
	}
	fresh := p == nil
	if p == nil {
		if len(c.peers) >= c.opts.MaxPeers {
			c.mu.Unlock()
			c.stats.drop(DropHandshakeTableFull)
			return nil
		}
		p = &peerState{id: s.id}
		p.queue.limit = c.opts.QueueBytes
		p.pacer = pacer.New(pacer.Rates{Initial: c.opts.InitialRate, Floor: c.opts.RateFloor, Ceiling: c.opts.RateCeiling}, now)
		p.lastRecv.Store(now.UnixNano())
		c.peers[s.id] = p
	}
	c.rememberLocked(s.id, s.static, s.epoch, nil)
	if s.kp.netKey != nil {
		// Counted before the session is visible (PeerStats), so that stats
		// never show a session on a key without its handshake.
		s.kp.netKey.handshakes.Add(1)
	}
	s.kp.peer = p
	s.kp.created = now
	s.kp.installed = c.order.Add(1)
	s.kp.addr = s.addr
	c.index[s.kp.local] = s.kp
	addr := s.addr
	if fresh || s.current {
		// An unconfirmed session (IK responder) may come from a replayed
		// initiation; the address moves only once the peer sends on it.
		p.addr.Store(&addr)
	}
	p.mu.Lock()
	copy(p.static[:], s.static)
	p.epoch = s.epoch
	// The new session's pings, resends and rekeys are timed from now.
	// Under p.mu, as tickPeer computes and stores tickAt, so that a tick
	// that read the peer before this cannot store a later deadline after.
	p.tickAt.Store(0)
	if s.current {
		c.rotateLocked(p, s.kp)
	} else {
		if p.next != nil {
			// An earlier unconfirmed session (IK responder) stays
			// receivable as a candidate: the initiator's retried
			// handshakes can complete in either order on its side, and
			// whichever it sends on first becomes current (confirm).
			p.next.candidate = true
			p.old = append([]*keypair{p.next}, p.old...)
			if len(p.old) > maxOldKeypairs {
				c.unindexLocked(p.old[maxOldKeypairs])
				p.old = p.old[:maxOldKeypairs]
			}
		}
		p.next = s.kp
	}
	if s.keepalive {
		p.keepalive = true
	}
	up := p.current != nil && !p.up
	if up {
		p.up = true
	}
	if !p.queue.empty() || p.keepalive {
		c.markReady(p)
	}
	p.mu.Unlock()
	c.mu.Unlock()
	c.nudge()
	c.log.Debug("transport: session", "peer", s.id.Short(), "addr", addr, "index", s.kp.local, "current", s.current)
	if up {
		c.emit(Event{Kind: EventPeerUp, Peer: s.id, Addr: addr, Outbound: s.kp.initiator})
	}
	return p
}

// restartedAs tells whether a handshake proving static and epoch comes from
// another instance of p's identity: every Conn draws its own Noise static
// key (newLocalID), so a rekey or a crossed handshake of the same instance
// proves the same key, and only another process proves another. While p is
// up, only a greater epoch replaces it (restart); a smaller or equal one is
// an older instance (stale), whose captured initiation must not end the
// live session. A peer not yet up is replaced by any other instance. The
// identity signature over key and epoch rules out forgeries.
func (p *peerState) restartedAs(static []byte, epoch uint64) (restart, stale bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.static == [32]byte{} || bytes.Equal(p.static[:], static) {
		return false, false
	}
	if p.up && epoch <= p.epoch {
		return false, true
	}
	return true, false
}

// olderInstance reports whether a handshake proving static and epoch comes
// from an instance of p's identity older than the one that is up.
func (p *peerState) olderInstance(static []byte, epoch uint64) bool {
	_, stale := p.restartedAs(static, epoch)
	return stale
}

// wasUp reports whether EventPeerUp was sent for p.
func (p *peerState) wasUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// unindexLocked retires kp: packets to its index are unknown from now on.
// c.mu held.
func (c *Conn) unindexLocked(kp *keypair) {
	kp.dead.Store(true)
	delete(c.index, kp.local)
}

// retire stops using kp, which reached its cipher's integrity limit (see
// aeadLimits): packets to its index are unknown from now on. When kp is
// p's current session the session ends (EventPeerDown), since the peer
// sends on it; a new handshake brings the peer back.
func (c *Conn) retire(kp *keypair) {
	p := kp.peer
	c.mu.Lock()
	p.mu.Lock()
	current := p.current == kp
	if !current {
		c.unindexLocked(kp)
		p.old = slices.DeleteFunc(p.old, func(k *keypair) bool { return k == kp })
		if p.next == kp {
			p.next = nil
		}
	}
	p.mu.Unlock()
	c.mu.Unlock()
	c.stats.drop(DropExpiredKeypair)
	if current {
		c.removePeer(p)
	}
}

// expireKeypairs retires p's sessions older than RejectAfterTime (see
// keypair.usable): old and next ones go from the tables; when the current
// one is that old, every rekey failed for RejectAfterTime - RekeyAfterTime,
// and the session ends (EventPeerDown) rather than going on with the same
// keys. It reports whether the session ended.
func (c *Conn) expireKeypairs(p *peerState, now time.Time) bool {
	limit := c.opts.RejectAfterTime
	c.mu.Lock()
	p.mu.Lock()
	ended := p.current != nil && !p.current.usable(now, limit)
	if !ended {
		p.old = slices.DeleteFunc(p.old, func(k *keypair) bool {
			if k.usable(now, limit) {
				return false
			}
			c.unindexLocked(k)
			return true
		})
		if p.next != nil && !p.next.usable(now, limit) {
			c.unindexLocked(p.next)
			p.next = nil
		}
	}
	p.mu.Unlock()
	c.mu.Unlock()
	if ended {
		c.log.Debug("transport: session keys expired", "peer", p.id.Short())
		c.removePeer(p)
	}
	return ended
}

// rotateLocked makes kp current. c.mu and p.mu held.
func (c *Conn) rotateLocked(p *peerState, kp *keypair) {
	if p.current != nil {
		p.rekeys++
		p.old = append([]*keypair{p.current}, p.old...)
		if len(p.old) > maxOldKeypairs {
			c.unindexLocked(p.old[maxOldKeypairs])
			p.old = p.old[:maxOldKeypairs]
		}
	}
	p.current = kp
	if p.next == kp {
		p.next = nil
	}
	p.rekeyAt = time.Time{}
}

// confirm is called by the reader when a packet authenticates on a keypair
// not yet confirmed: a waiting next keypair becomes current.
func (c *Conn) confirm(kp *keypair) {
	if kp.confirmed.Swap(true) {
		return
	}
	p := kp.peer
	c.mu.Lock()
	p.mu.Lock()
	promoted := true
	switch {
	case p.next == kp:
		c.rotateLocked(p, kp)
	case kp.candidate && !p.gone && slices.Contains(p.old, kp):
		// The peer sends on an earlier candidate than next: it is the
		// session the peer settled on.
		p.old = slices.DeleteFunc(p.old, func(k *keypair) bool { return k == kp })
		c.rotateLocked(p, kp)
	default:
		promoted = false
	}
	if promoted && c.ID().Compare(p.id) > 0 {
		// The lower peer completed its IK initiation and sends on it:
		// ours begun since it was installed here crossed it (see
		// crossed.go).
		c.wonByPeerLocked(p.id, kp.addr)
	}
	up := p.current != nil && !p.up && !p.gone
	if up {
		p.up = true
	}
	if !p.queue.empty() {
		c.markReady(p)
	}
	p.mu.Unlock()
	c.mu.Unlock()
	c.nudge()
	if up {
		// The proven address: msg1's source, where our msg2 went, which
		// this first packet on the session shows arrived.
		c.emit(Event{Kind: EventPeerUp, Peer: p.id, Addr: kp.addr, Outbound: kp.initiator})
	}
}

// rememberLocked records what a handshake proved about a peer: its
// instance (static key and epoch) and, when ts is not nil, the timestamp of
// its message. The entry follows the newest instance: a greater epoch with
// another static key replaces it and resets the timestamp baseline; an
// older instance's (accepted only while the peer is not up, see
// restartedAs) changes nothing. The timestamp only moves forward.
//
// The table keeps MaxPeers entries, plus one while every entry belongs to a
// peer with a session: to make room it forgets the least recently
// remembered peer without one, never a live peer's, so the timestamps that
// guard live sessions are never evicted. c.mu held.
func (c *Conn) rememberLocked(id peer.ID, static []byte, epoch uint64, ts *tai64n) {
	k, ok := c.known.Get(id)
	if !ok {
		c.forgetKnownLocked()
		k = &knownPeer{}
		c.known.Add(id, k)
	}
	if !bytes.Equal(k.static, static) {
		if k.static != nil && epoch <= k.epoch {
			return
		}
		k.static = append(k.static[:0], static...)
		k.epoch = epoch
		k.lastTS = tai64n{}
	}
	if ts != nil && ts.after(k.lastTS) {
		k.lastTS = *ts
	}
}

// forgetKnownLocked forgets the least recently remembered entry of a peer
// without a session if the table holds MaxPeers entries. Live entries it
// passes become the most recent, so the next search starts past them.
// c.mu held.
func (c *Conn) forgetKnownLocked() {
	for range c.known.Len() {
		if c.known.Len() < c.opts.MaxPeers {
			return
		}
		id, _, _ := c.known.GetOldest()
		if _, live := c.peers[id]; !live {
			c.known.Remove(id)
			return
		}
		c.known.Get(id)
	}
}

// markReady puts p on the writer's list. p.mu may be held.
func (c *Conn) markReady(p *peerState) {
	c.readyMu.Lock()
	if !p.ready {
		p.ready = true
		c.ready = append(c.ready, p)
	}
	c.readyMu.Unlock()
}

// removePeer forgets p (peer down): its keypairs, queue and partial
// messages go, and EventPeerDown is emitted if it was up. It reports
// whether it removed p (false: p was already gone).
func (c *Conn) removePeer(p *peerState) bool { return c.removePeerCounted(p, nil, false) }

// removePeerCounted is removePeer that also adds one to count when it
// removes p (only if p was up, with upOnly), before the EventPeerDown, so
// that whoever sees the event sees the count.
func (c *Conn) removePeerCounted(p *peerState, count *atomic.Uint64, upOnly bool) bool {
	c.mu.Lock()
	if c.peers[p.id] != p {
		c.mu.Unlock()
		return false
	}
	delete(c.peers, p.id)
	p.mu.Lock()
	var buf keypairBuf
	for _, kp := range append(p.recvKeypairs(&buf), p.next) {
		if kp != nil {
			c.unindexLocked(kp)
		}
	}
	p.current, p.old, p.next = nil, nil, nil
	p.gone = true
	n := p.queue.clear()
	wasUp := p.up
	p.mu.Unlock()
	c.mu.Unlock()
	c.stats.drops[DropPeerDown].Add(uint64(n))
	c.reasmMu.Lock()
	// Closing under reasmMu makes the reassembler refuse a fragment the
	// reader may be holding for p right now, so nothing stays charged.
	c.stats.drops[DropReassemblyTimeout].Add(uint64(c.reasm.Close(&p.reasm)))
	c.reasmMu.Unlock()
	c.log.Debug("transport: peer down", "peer", p.id.Short(), "dropped", n)
	if count != nil && (wasUp || !upOnly) {
		count.Add(1)
	}
	if wasUp {
		c.emit(Event{Kind: EventPeerDown, Peer: p.id, Addr: p.address()})
	}
	return true
}
