package transport

import (
	"net/netip"
	"slices"
	"time"
)

// handleInit answers a first handshake message (responder side).
func (c *Conn) handleInit(b []byte, h header, from netip.AddrPort, now time.Time) {
	if !c.jar.checkMac1(b) {
		c.stats.drop(DropAuth)
		return
	}
	if !c.limit.allow(from.Addr(), now) {
		c.stats.drop(DropRateLimited)
		return
	}
	c.mu.Lock()
	load := c.halfOpen
	c.mu.Unlock()
	// Under load: many half-open XX handshakes, or more initiations per
	// second than Options.CookieRate (IK floods leave nothing half-open).
	busy := c.opts.CookieLoad < 0 || load >= c.opts.CookieLoad || !c.hsLoad.allow(netip.Addr{}, now)
	if busy && !c.jar.checkMac2(b, from) {
		c.stats.drop(DropCookieRequired)
		c.stats.cookies.Add(1)
		c.sendRaw(c.jar.reply(b, h.Sender, from), from)
		return
	}
	if load >= c.opts.MaxHalfOpen {
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	hs, err := newNoise(h.Pattern, false, c.local, c.opts.NetworkKey, nil)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	payload, _, _, err := hs.ReadMessage(nil, noiseMessage(b))
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	if h.Pattern == patternXX {
		c.respondXX(h, hs, payload, from, now)
		return
	}
	c.respondIK(h, hs, payload, from, now)
}

func (c *Conn) respondXX(h header, hs noiseState, payload []byte, from netip.AddrPort, now time.Time) {
	if len(payload) != 0 {
		c.stats.drop(DropMalformed)
		return
	}
	out, _, _, err := writeHandshake(typeHandshakeResponse, patternXX, h.Sender, hs, c.local.payload(now))
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	c.mu.Lock()
	idx, err := c.newIndexLocked()
	if err != nil || c.halfOpen >= c.opts.MaxHalfOpen {
		c.mu.Unlock()
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	c.finishHandshake(out, idx, nil)
	c.pending[idx] = &handshake{hs: hs, pattern: patternXX, local: idx, remote: h.Sender, addr: from, created: now}
	c.halfOpen++
	c.mu.Unlock()
	c.sendRaw(out, from)
}

func (c *Conn) respondIK(h header, hs noiseState, payload []byte, from netip.AddrPort, now time.Time) {
	rid, ok := c.checkRemote(payload, hs.PeerStatic(), true)
	if !ok {
		return
	}
	out, cs1, cs2, err := writeHandshake(typeHandshakeResponse, patternIK, h.Sender, hs, c.local.payload(now))
	if err != nil || cs1 == nil {
		c.stats.drop(DropAuth)
		return
	}
	c.mu.Lock()
	idx, err := c.newIndexLocked()
	if err != nil {
		c.mu.Unlock()
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	c.finishHandshake(out, idx, nil)
	c.mu.Unlock()
	send, recv := splitKeys(false, cs1, cs2, negotiateCipher(c.local.flags, rid.flags))
	kp := &keypair{local: idx, remote: h.Sender, send: send, recv: recv}
	// Send the response before installing, so it leaves before any data.
	c.sendRaw(out, from)
	if c.install(newSession{id: rid.id, static: slices.Clone(hs.PeerStatic()), addr: from, kp: kp}, now) == nil {
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	c.stats.hsIK.Add(1)
}

// checkRemote verifies an identity payload; initiation payloads (timestamps
// from the initiator) must also be newer than the last one accepted from that
// identity, and are then recorded. It counts the drop when it fails.
func (c *Conn) checkRemote(payload, static []byte, initiation bool) (remoteID, bool) {
	rid, err := verifyPayload(payload, static)
	if err != nil {
		c.stats.drop(DropAuth)
		return rid, false
	}
	if rid.id == c.ID() {
		c.stats.drop(DropHandshakeUnexpected)
		return rid, false
	}
	if !initiation {
		return rid, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.known[rid.id]; k != nil && !rid.ts.after(k.lastTS) {
		c.stats.drop(DropStaleHandshake)
		return rid, false
	}
	c.rememberLocked(rid.id, nil, &rid.ts)
	return rid, true
}

// takePending removes and returns our handshake with index idx if it has the
// wanted role and pattern.
func (c *Conn) takePending(idx uint32, initiator bool, pattern byte) *handshake {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.pending[idx]
	if hs == nil || hs.initiator != initiator || hs.pattern != pattern {
		return nil
	}
	c.dropPendingLocked(idx)
	return hs
}

func (c *Conn) dropPendingLocked(idx uint32) {
	if hs := c.pending[idx]; hs != nil {
		if !hs.initiator {
			c.halfOpen--
		}
		delete(c.pending, idx)
	}
}

// handleFinal completes an XX handshake on the responder side.
func (c *Conn) handleFinal(b []byte, h header, from netip.AddrPort, now time.Time) {
	if !c.jar.checkMac1(b) {
		c.stats.drop(DropAuth)
		return
	}
	hs := c.takePending(h.Receiver, false, patternXX)
	if hs == nil {
		c.stats.drop(DropUnknownSession)
		return
	}
	payload, cs1, cs2, err := hs.hs.ReadMessage(nil, noiseMessage(b))
	if err != nil || cs1 == nil {
		c.stats.drop(DropAuth)
		return
	}
	rid, ok := c.checkRemote(payload, hs.hs.PeerStatic(), true)
	if !ok {
		return
	}
	send, recv := splitKeys(false, cs1, cs2, negotiateCipher(c.local.flags, rid.flags))
	kp := &keypair{local: hs.local, remote: hs.remote, send: send, recv: recv}
	p := c.install(newSession{id: rid.id, static: slices.Clone(hs.hs.PeerStatic()), addr: from, kp: kp, current: true}, now)
	if p == nil {
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	c.stats.hsXX.Add(1)
	// A ping tells the initiator its final message arrived.
	c.enqueueControl(p, appendPingFrame(make([]byte, 0, pingFrameSize), framePing, c.pingStamp(now)))
}

// handleCookie takes a cookie reply to one of our initiations and resends
// the initiation with mac2.
func (c *Conn) handleCookie(b []byte, h header) {
	c.mu.Lock()
	hs := c.pending[h.Receiver]
	c.mu.Unlock()
	if hs == nil || !hs.initiator {
		c.stats.drop(DropUnknownSession)
		return
	}
	cookie, err := c.jar.openReply(b, hs.msg)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	msg := slices.Clone(hs.msg)
	c.jar.seal(msg, cookie)
	c.sendRaw(msg, hs.addr)
}

func (c *Conn) pingStamp(now time.Time) uint64 { return uint64(now.Sub(c.start)) }
