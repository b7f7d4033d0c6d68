package transport

import (
	"time"
)

// timerLoop runs the Conn's periodic work every TickInterval: keepalive
// pings, receiver reports, peer-down detection, rekeying, resending the XX
// final message, and expiring handshakes, partial messages and buckets.
func (c *Conn) timerLoop() {
	defer c.wg.Done()
	t := c.clock.Ticker(c.opts.TickInterval)
	defer t.Stop()
	var lastGC time.Time
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			c.tick(now)
			if now.Sub(lastGC) >= time.Second {
				lastGC = now
				c.limit.GC(now)
				c.jar.Rotate(now)
			}
		}
	}
}

// sweepInterval is how often tick visits every peer in full: it retires
// expired keypairs and the sessions of removed network keys, and runs
// tickPeer whatever the peer's tickAt says, which catches the work no
// deadline announces (rekeys on the packet count or on a new primary
// network key). Between sweeps a tick skips each peer with no report due
// before its tickAt: with a hundred mostly idle sessions (membership's)
// visiting each one every TickInterval was 7 % of a node's CPU. Sending and
// receiving check a keypair's age themselves (keypair.usable), so the
// sweep's expiry is clean-up.
const sweepInterval = 100 * time.Millisecond

func (c *Conn) tick(now time.Time) {
	c.expireHandshakes(now)
	sweep := now.Sub(c.lastSweep) >= sweepInterval
	if sweep {
		c.lastSweep = now
	}
	c.mu.Lock()
	peers := c.tickPeers[:0]
	for _, p := range c.peers {
		peers = append(peers, p)
	}
	c.mu.Unlock()
	nowNs := now.UnixNano()
	downBefore := nowNs - int64(c.opts.PeerDownTimeout)
	for _, p := range peers {
		if p.lastRecv.Load() < downBefore {
			c.removePeer(p)
			continue
		}
		if sweep && (c.expireKeypairs(p, now) || c.endForKey(p)) {
			continue
		}
		if sweep || nowNs >= p.tickAt.Load() || p.reportDue.Load() {
			c.tickPeer(p, now)
		}
	}
	clear(peers) // hold no removed peer until the next tick
	c.tickPeers = peers[:0]
	c.reasmMu.Lock()
	n := c.reasm.Expire(now.Add(-c.opts.ReassemblyTimeout))
	c.reasmMu.Unlock()
	c.stats.drops[DropReassemblyTimeout].Add(uint64(n))
}

// tickPeer does one peer's periodic sends and rekeying.
func (c *Conn) tickPeer(p *peerState, now time.Time) {
	p.mu.Lock()
	kp := p.current
	ping := kp != nil && now.Sub(p.lastPing) >= c.opts.KeepaliveInterval
	if ping {
		p.lastPing = now
	}
	var repBuf [1 + maxOldKeypairs]report
	var kpBuf keypairBuf
	reports := repBuf[:0]
	if now.Sub(p.lastReport) >= c.opts.ReportInterval {
		p.lastReport = now
		p.reportDue.Store(false) // before taking them: a packet after this sets it again
		for _, k := range p.recvKeypairs(&kpBuf) {
			// Even if every packet with payload was shed, so that the
			// sender learns of the loss.
			if r, ok := k.takeReport(); ok {
				reports = append(reports, r)
			}
		}
	}
	// The initiator of the current session rekeys (on its age or on the
	// packets sent either way), so the two sides do not start crossing
	// handshakes. The responder steps in only if that did not happen a few
	// retries later (crossed dials can leave both sides responders).
	rekey := kp != nil && p.rekeyAt.IsZero() && c.rekeyDue(kp, now)
	if kp != nil && !kp.confirmed.Load() && p.rekeyAt.IsZero() && now.Sub(kp.created) >= c.unconfirmedLimit() {
		// The peer never sent on our current session: it lost our final
		// message or settled on another session of a crossed handshake.
		// A fresh handshake makes both sides agree again.
		rekey = true
	}
	if kp != nil && p.rekeyAt.IsZero() && c.ring.Load().rekeyFor(kp.netKey, kp.created) {
		// SetNetworkKeys made another key the primary: move the session
		// to it now rather than at the next rekey, so that the old key
		// falls out of use (see NetworkKeyStats).
		rekey = true
	}
	if !p.rekeyAt.IsZero() && now.Sub(p.rekeyAt) >= c.opts.HandshakeRetry {
		rekey = kp != nil // the last attempt went unanswered: try again
	}
	if rekey {
		p.rekeyAt = now
	}
	resend := kp != nil && kp.final != nil && !kp.confirmed.Load() &&
		now.Sub(time.Unix(0, kp.finalSent.Load())) >= time.Duration(kp.finalEvery.Load())
	if resend {
		kp.finalSent.Store(now.UnixNano())
		kp.finalEvery.Store(int64(min(2*time.Duration(kp.finalEvery.Load()), c.opts.HandshakeRetry)))
	}
	// After the resend's bookkeeping, so that its next resend is the one
	// timed.
	p.tickAt.Store(c.nextTick(p, kp, now).UnixNano())
	static := p.static
	p.mu.Unlock()

	if ping {
		c.enqueueControl(p, appendPingFrame(make([]byte, 0, pingFrameSize), framePing, c.pingStamp(now)))
	}
	for _, r := range reports {
		c.enqueueControl(p, appendReportFrame(make([]byte, 0, reportFrameSize), r))
	}
	if rekey {
		_ = c.initiate(p.address(), p.id, patternIK, static[:], nil, now)
	}
	if resend {
		c.sendRaw(kp.final, p.address())
	}
}

// nextTick is when tickPeer next has work for p other than reports (which
// reportDue announces) and the rekeys only a sweep looks for: a ping, a
// rekey on kp's age, a handshake for an unconfirmed session, a retry of an
// unanswered rekey, a resend of kp's final message. An early answer only
// costs a call; a late one is caught by the next sweep. p.mu held.
func (c *Conn) nextTick(p *peerState, kp *keypair, now time.Time) time.Time {
	next := now.Add(sweepInterval)
	if !p.rekeyAt.IsZero() {
		next = minTime(next, p.rekeyAt.Add(c.opts.HandshakeRetry))
	}
	if kp == nil {
		return next
	}
	next = minTime(next, p.lastPing.Add(c.opts.KeepaliveInterval))
	if p.rekeyAt.IsZero() {
		next = minTime(next, kp.created.Add(c.rekeyAge(kp)))
		if !kp.confirmed.Load() {
			next = minTime(next, kp.created.Add(c.unconfirmedLimit()))
		}
	}
	if kp.final != nil && !kp.confirmed.Load() {
		next = minTime(next, time.Unix(0, kp.finalSent.Load()+kp.finalEvery.Load()))
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// rekeyAge is the age at which kp is rekeyed: RekeyAfterTime for its
// initiator, three retries later for the responder (rekeyDue).
func (c *Conn) rekeyAge(kp *keypair) time.Duration {
	if kp.initiator {
		return c.opts.RekeyAfterTime
	}
	return c.opts.RekeyAfterTime + 3*c.opts.HandshakeRetry
}

func (c *Conn) rekeyDue(kp *keypair, now time.Time) bool {
	if now.Sub(kp.created) >= c.rekeyAge(kp) {
		return true
	}
	msgs := min(c.opts.RekeyAfterMessages, kp.limits.rekeyAfter) // AES-GCM: RFC 9001 §6.6
	return kp.initiator && (kp.sendCount.Load() >= msgs || kp.rxHighestLoad() >= msgs)
}

// unconfirmedLimit is how long a current session may go without a packet
// from the peer on it before we handshake again (the peer pings every
// KeepaliveInterval).
func (c *Conn) unconfirmedLimit() time.Duration {
	return max(3*c.opts.HandshakeRetry, 2*c.opts.KeepaliveInterval+c.opts.HandshakeRetry)
}

// expireHandshakes forgets our initiations older than two retry periods
// and half-open responder handshakes older than three. The initiator gives
// up first so that an XX initiator completing on a late msg2 always leaves
// the responder, whose half-open state was made after that attempt began,
// at least one retry period to get msg3 and its resends (see sendFinal):
// otherwise the initiator would hold a session the responder can no longer
// complete, until the unconfirmed session re-handshakes.
func (c *Conn) expireHandshakes(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for idx, hs := range c.pending {
		limit := 3 * c.opts.HandshakeRetry
		if hs.initiator {
			limit = 2 * c.opts.HandshakeRetry
		}
		if now.Sub(hs.created) > limit {
			c.dropPendingLocked(idx)
		}
	}
}

// pingStamp is a ping frame's timestamp for now: time since the Conn started.
func (c *Conn) pingStamp(now time.Time) uint64 { return uint64(now.Sub(c.start)) }
