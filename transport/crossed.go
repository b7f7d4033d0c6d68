package transport

// Crossed handshakes: when two nodes dial each other at once, each completes
// the other's handshake as well as its own, and under loss each side could
// settle on a different session, one the other never installed (its msg3
// lost), and drop the other's traffic as coming from an unknown session
// until a re-handshake. The tie is broken the same way on both sides: the
// initiation of the lower peer ID wins. The higher side answers the lower
// side's handshake, installs its session and hands its own Dial that session
// (its pending attempts are cancelled); the lower side drops the higher
// side's handshake (counted as DropHandshakeUnexpected) and resends its own
// msg1 at once, so a lost one costs a round trip rather than a retry period.
//
// Two handshakes cross when they overlap in time: the other one was pending
// or completed after this one began. A handshake that starts after the
// other completed is an ordinary new session (a redial or a rekey) and
// replaces it, whoever initiated it. "After" is the order in which this
// Conn saw the events (Conn.order: msg1 read, attempt registered, session
// installed), not the clock, whose readings tie within one reader batch
// and always on a mock clock.
//
// Each side judges by what it has seen, and the two can disagree: the
// higher side may begin an initiation just after answering the lower
// side's IK msg1 (for it, an ordinary new session), while the lower side,
// which has not read that answer yet (or reads it in the same batch), takes
// the initiation for a crossed one and drops it. The higher side would
// then wait a retry period for a msg2 that never comes. So it treats as
// crossed, too, its initiations begun while the lower side's IK session was
// still unconfirmed here (the lower side had not shown it completed): when
// the lower side first sends on that session (its keepalive, one round
// trip later) they are handed it, as those pending at install are.

import (
	"net/netip"
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// crossedLocked reports whether s, a completed handshake with p's peer (p
// may be nil: no session yet), loses to a crossed handshake and must be
// dropped, and, when it loses to a pending initiation of ours, returns that
// initiation's first message (a copy) and address to resend. c.mu held.
func (c *Conn) crossedLocked(p *peerState, s newSession) (lose bool, resend *handshake) {
	lowerWins := c.ID().Compare(s.id) < 0 // we are the lower ID
	if s.kp.initiator {
		// Our own initiation completed: it loses to the peer's if the peer
		// is the lower ID and its session came after ours began.
		if lowerWins || p == nil {
			return false, nil
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, kp := range [...]*keypair{p.current, p.next} {
			if kp != nil && !kp.initiator && kp.installed > s.began {
				return true, nil
			}
		}
		return false, nil
	}
	// The peer's initiation completed: it loses if we are the lower ID and
	// our own is in flight or completed after the peer's began.
	if !lowerWins {
		return false, nil
	}
	if hs := c.pendingToLocked(s); hs != nil {
		return true, hs
	}
	if p == nil {
		return false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if kp := p.current; kp != nil && kp.initiator && kp.installed > s.began {
		return true, nil
	}
	return false, nil
}

// pendingToLocked returns our newest pending initiation to the peer that
// completed s (by the ID it expects, or by address for an XX dial that
// expects any), if it can still complete: XX, or IK to the same instance
// (an IK initiation to a stale static key never completes). c.mu held.
func (c *Conn) pendingToLocked(s newSession) *handshake {
	var best *handshake
	for _, hs := range c.pending {
		if !hs.initiator || (hs.expect != s.id && !(hs.expect.IsZero() && hs.addr == s.addr)) {
			continue
		}
		if hs.pattern == patternIK && !slices.Equal(hs.peerStatic, s.static) {
			continue
		}
		if best == nil || hs.began > best.began {
			best = hs
		}
	}
	return best
}

// wonByPeerLocked hands our pending initiations to the peer id (at addr,
// for an XX dial that expects any peer), which a handshake of the peer's
// replaced (it is the lower ID, see crossedLocked), the outcome of that
// handshake: their Dials return the peer, and late msg2s answering them
// are unknown. c.mu held.
func (c *Conn) wonByPeerLocked(id peer.ID, addr netip.AddrPort) {
	for idx, hs := range c.pending {
		if hs.initiator && (hs.expect == id || (hs.expect.IsZero() && hs.addr == addr)) {
			c.dropPendingLocked(idx)
			hs.notify(dialResult{id: id})
		}
	}
}
