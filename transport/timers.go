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

func (c *Conn) tick(now time.Time) {
	c.expireHandshakes(now)
	c.mu.Lock()
	peers := make([]*peerState, 0, len(c.peers))
	for _, p := range c.peers {
		peers = append(peers, p)
	}
	c.mu.Unlock()
	for _, p := range peers {
		if now.Sub(time.Unix(0, p.lastRecv.Load())) > c.opts.PeerDownTimeout {
			c.removePeer(p)
			continue
		}
		if c.expireKeypairs(p, now) || c.endForKey(p) {
			continue
		}
		c.tickPeer(p, now)
	}
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
	if kp != nil && kp.final != nil && !kp.confirmed.Load() &&
		now.Sub(time.Unix(0, kp.finalSent.Load())) >= time.Duration(kp.finalEvery.Load()) {
		kp.finalSent.Store(now.UnixNano())
		kp.finalEvery.Store(int64(min(2*time.Duration(kp.finalEvery.Load()), c.opts.HandshakeRetry)))
		c.sendRaw(kp.final, p.address())
	}
}

func (c *Conn) rekeyDue(kp *keypair, now time.Time) bool {
	age, limit := now.Sub(kp.created), c.opts.RekeyAfterTime
	if !kp.initiator {
		limit += 3 * c.opts.HandshakeRetry
	}
	if age >= limit {
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
