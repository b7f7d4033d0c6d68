package transport

// The responder's half of the handshakes (Noise XX and IK, messages numbered
// as in the Noise Protocol Framework's patterns): it reads msg1, answers
// with msg2 (or, under load, with a cookie reply and no DH work, see
// internal/cookie) and, for XX, reads msg3. The initiator's half is in
// handshake_initiator.go.

import (
	"net/netip"
	"slices"
	"time"
)

// handleInit reads msg1 of a handshake a peer initiates (XX or IK). It
// checks mac1, the per-IP rate limit, and, when under load (many half-open
// XX handshakes, or more initiations a second than Options.CookieRate),
// mac2, answering a packet without a valid one with a cookie reply; then
// that the half-open table has room and that the Noise message decrypts
// (with the network key as PSK, if set). The pattern's own checks follow in
// respondXX or respondIK.
func (c *Conn) handleInit(b []byte, h header, from netip.AddrPort, now time.Time) {
	if !c.checkMac1(b) {
		return
	}
	if !c.limit.Allow(from.Addr(), now) {
		c.stats.drop(DropRateLimited)
		return
	}
	c.mu.Lock()
	load := c.halfOpen
	c.mu.Unlock()
	// Under load: many half-open XX handshakes, or more initiations per
	// second than Options.CookieRate (IK floods leave nothing half-open).
	busy := c.opts.CookieLoad < 0 || load >= c.opts.CookieLoad || !c.hsLoad.Allow(netip.Addr{}, now)
	if busy && !c.jar.CheckMac2(b, from) {
		c.stats.drop(DropCookieRequired)
		c.stats.cookies.Add(1)
		reply := appendCookieReplyHeader(make([]byte, 0, cookieReplySize), h.Sender)
		c.sendRaw(c.jar.AppendReply(reply, b, from), from)
		return
	}
	if load >= c.opts.MaxHalfOpen {
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	hs, err := newNoise(h.Pattern, false, c.local, c.opts.NetworkKey, nil, nil)
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

// respondXX answers XX msg1 (the initiator's ephemeral key, which must come
// with an empty payload) with XX msg2: our ephemeral and static keys and
// identity payload. The handshake then waits, half-open, for msg3 under a
// new index, if the half-open table still has room.
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

// respondIK answers IK msg1 (the initiator's ephemeral and static keys and
// identity payload, encrypted to our static key) with IK msg2, our
// ephemeral key and identity payload, which completes the handshake. It
// checks that the identity payload binds the initiator's static key to a
// peer ID other than ours, from the live instance or a newer one, with a
// timestamp newer than any seen from that instance (so a replayed msg1 is
// dropped), and that it does not lose to a crossed initiation of ours (see
// crossed.go; checked before msg2 goes out, so that the initiator does not
// install a session we drop). The session is installed unconfirmed: it
// becomes current, and the peer up at msg1's source, when the initiator
// first sends on it.
func (c *Conn) respondIK(h header, hs noiseState, payload []byte, from netip.AddrPort, now time.Time) {
	rid, ok := c.checkRemote(payload, hs.PeerStatic(), true)
	if !ok {
		return
	}
	s := newSession{id: rid.id, static: slices.Clone(hs.PeerStatic()), epoch: rid.epoch, addr: from, started: now,
		kp: &keypair{}}
	c.mu.Lock()
	lose, resend := c.crossedLocked(c.peers[rid.id], s)
	var again []byte
	if lose && resend != nil {
		again = slices.Clone(resend.msg)
	}
	c.mu.Unlock()
	if lose {
		c.stats.drop(DropHandshakeUnexpected)
		if again != nil {
			c.sendRaw(again, resend.addr)
		}
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
	cipherID := negotiateCipher(c.local.flags, rid.flags)
	send, recv := splitKeys(false, cs1, cs2, cipherID)
	s.kp = &keypair{local: idx, remote: h.Sender, send: send, recv: recv, limits: limitsFor(cipherID)}
	// Send the response before installing, so it leaves before any data.
	c.sendRaw(out, from)
	if c.install(s, now) != nil {
		c.stats.hsIK.Add(1)
	}
}

// handleFinal reads XX msg3 (the initiator's static key and identity
// payload), completing an XX handshake we answered. It checks mac1, that
// the receiver index names a half-open XX handshake of ours, that the Noise
// message decrypts and completes the handshake, and that the identity
// payload binds the initiator's static key to a peer ID other than ours,
// from the live instance or a newer one. Its timestamp is recorded, not
// checked: msg3 answers our fresh msg2 and cannot be replayed. It installs
// the session as current, with the peer at msg1's source (where msg2 went,
// which msg3 proves arrived; msg3's own source is not trusted), and pings,
// which tells the initiator msg3 arrived.
func (c *Conn) handleFinal(b []byte, h header, _ netip.AddrPort, now time.Time) {
	if !c.checkMac1(b) {
		return
	}
	hs := c.takePending(h.Receiver, false, patternXX)
	if hs == nil {
		c.stats.drop(DropUnknownSession)
		c.repingFinal(h.Receiver, now)
		return
	}
	payload, cs1, cs2, err := hs.hs.ReadMessage(nil, noiseMessage(b))
	if err != nil || cs1 == nil {
		c.stats.drop(DropAuth)
		return
	}
	rid, ok := c.checkRemote(payload, hs.hs.PeerStatic(), false)
	if !ok {
		return
	}
	cipherID := negotiateCipher(c.local.flags, rid.flags)
	send, recv := splitKeys(false, cs1, cs2, cipherID)
	kp := &keypair{local: hs.local, remote: hs.remote, send: send, recv: recv, limits: limitsFor(cipherID)}
	p := c.install(newSession{id: rid.id, static: slices.Clone(hs.hs.PeerStatic()), epoch: rid.epoch, addr: hs.addr,
		kp: kp, current: true, started: hs.created}, now)
	if p == nil {
		return
	}
	c.stats.hsXX.Add(1)
	// A ping tells the initiator its final message arrived.
	c.enqueueControl(p, appendPingFrame(make([]byte, 0, pingFrameSize), framePing, c.pingStamp(now)))
}

// repingFinal answers a msg3 for a session already made from it (the
// initiator resends msg3 until a packet on the session confirms it; our
// ping was lost) with another ping, if that session is the current one.
// The ping goes to the peer's address, never to the msg3's source.
func (c *Conn) repingFinal(idx uint32, now time.Time) {
	c.mu.Lock()
	kp := c.index[idx]
	c.mu.Unlock()
	if kp == nil || kp.initiator {
		return
	}
	p := kp.peer
	p.mu.Lock()
	current := p.current == kp
	p.mu.Unlock()
	if current {
		c.enqueueControl(p, appendPingFrame(make([]byte, 0, pingFrameSize), framePing, c.pingStamp(now)))
	}
}
