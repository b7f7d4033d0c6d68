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

// initQueueLen bounds the msg1s waiting for the handshake worker; a quarter
// of it waiting means the Conn is under load (as in wireguard-go, whose
// handshake queue is under load at an eighth of its length).
const initQueueLen = 512

// inInit is a msg1 queued for the handshake worker; b is its own copy,
// key the network key its mac1 was made with.
type inInit struct {
	b     []byte
	h     header
	key   *netKey
	from  netip.AddrPort
	now   time.Time
	began uint64 // read at this point on Conn.order (crossed.go)
}

// handleInit is the reader's part of msg1 (XX or IK): it checks mac1 (one
// hash per key of the keyring), which tells the network key the initiator
// used, and queues the packet for the handshake worker, so that the DH and
// signature work of a flood of initiations never delays data packets; a
// full queue drops it (DropHandshakeQueueFull).
func (c *Conn) handleInit(b []byte, h header, from netip.AddrPort, now time.Time) {
	key := c.initMac1(b)
	if key == nil {
		return
	}
	if len(c.initQ) == cap(c.initQ) {
		c.stats.drop(DropHandshakeQueueFull) // before copying anything: a flood costs no allocation
		return
	}
	select {
	case c.initQ <- &inInit{b: slices.Clone(b), h: h, key: key, from: from, now: now, began: c.order.Add(1)}:
	default:
		c.stats.drop(DropHandshakeQueueFull)
	}
}

// handshakeLoop is the handshake worker: it answers the queued msg1s.
func (c *Conn) handshakeLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case in := <-c.initQ:
			c.respondInit(in.b, in.h, in.key, in.from, in.now, in.began)
		}
	}
}

// respondInit reads msg1 of a handshake a peer initiates (XX or IK), whose
// mac1 handleInit checked. As in WireGuard (whitepaper §5.3), when under
// load (many half-open XX handshakes, a backlog of queued msg1s, or more
// initiations a second than Options.CookieRate) it requires a valid mac2,
// answering a packet without one with a cookie reply and no DH work; only
// then, the source address being proven, it charges the per-source rate
// limit (not under load nothing is limited, and nothing spoofable is ever
// charged). Then the Noise message must decrypt (with key, the network key
// msg1's mac1 was made with, as PSK, if set); the pattern's own checks
// follow in respondXX or respondIK. Every answer is under key. began is
// when the reader took msg1, on Conn.order.
func (c *Conn) respondInit(b []byte, h header, key *netKey, from netip.AddrPort, now time.Time, began uint64) {
	c.mu.Lock()
	load := c.halfOpen.len()
	c.mu.Unlock()
	// The initiation rate is metered for every msg1 (it is the load
	// signal), but that meter refuses nothing.
	busy := c.opts.CookieLoad < 0 || load >= c.opts.CookieLoad || len(c.initQ) >= initQueueLen/4 ||
		!c.hsLoad.Allow(netip.Addr{}, now)
	if busy {
		if !c.jar.CheckMac2(b, from) {
			c.stats.drop(DropCookieRequired)
			c.stats.cookies.Add(1)
			reply := appendCookieReplyHeader(make([]byte, 0, cookieReplySize), h.Sender)
			c.sendRaw(c.jar.AppendReply(reply, b, from, key.mac), from)
			return
		}
		if !c.limit.Allow(from.Addr(), now) {
			c.stats.drop(DropRateLimited)
			return
		}
	}
	hs, err := newNoise(h.Pattern, false, c.local, key.psk, nil, nil)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	payload, _, _, err := hs.ReadMessage(nil, initNoise(b, h.Pattern, key.psk != nil))
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	if h.Pattern == patternXX {
		c.respondXX(h, hs, key, payload, from, now, began)
		return
	}
	c.respondIK(h, hs, key, payload, from, now, began)
}

// respondXX answers XX msg1 (the initiator's ephemeral key, which must come
// with an empty payload) with XX msg2: our ephemeral and static keys and
// identity payload. The handshake then waits, half-open, for msg3 under a
// new index; to make room it may evict older half-opens (see halfOpens).
func (c *Conn) respondXX(h header, hs noiseState, key *netKey, payload []byte, from netip.AddrPort, now time.Time, began uint64) {
	if len(payload) != 0 {
		c.stats.drop(DropMalformed)
		return
	}
	out, _, _, err := writeHandshake(typeHandshakeResponse, patternXX, h.Sender, hs, c.local.payload(now))
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	src := sourceOf(from)
	c.mu.Lock()
	idx, err := c.newIndexLocked()
	if err != nil {
		c.mu.Unlock()
		c.stats.drop(DropHandshakeTableFull)
		return
	}
	c.makeRoomLocked(src)
	finishHandshake(out, idx, key, nil)
	ho := &handshake{hs: hs, pattern: patternXX, local: idx, remote: h.Sender, addr: from, created: now, began: began, source: src, key: key}
	c.pending[idx] = ho
	c.halfOpen.add(ho)
	c.mu.Unlock()
	c.sendRaw(out, from)
}

// respondIK answers IK msg1 (the initiator's ephemeral and static keys and
// identity payload, encrypted to our static key) with IK msg2, our
// ephemeral key and identity payload, which completes the handshake. It
// checks that the identity payload binds the initiator's static key to a
// peer ID other than ours, from the live instance or a newer one, with a
// timestamp newer than the initiations seen from that instance (so a
// replayed msg1 is dropped), and that it does not lose to a crossed initiation of ours (see
// crossed.go; checked before msg2 goes out, so that the initiator does not
// install a session we drop). The session is installed unconfirmed: it
// becomes current, and the peer up at msg1's source, when the initiator
// first sends on it.
func (c *Conn) respondIK(h header, hs noiseState, key *netKey, payload []byte, from netip.AddrPort, now time.Time, began uint64) {
	rid, ok := c.checkRemote(payload, hs.PeerStatic(), tsCheck)
	if !ok {
		return
	}
	s := newSession{id: rid.id, static: slices.Clone(hs.PeerStatic()), epoch: rid.epoch, addr: from, began: began,
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
	finishHandshake(out, idx, key, nil)
	c.mu.Unlock()
	cipherID := negotiateCipher(c.local.flags, rid.flags)
	send, recv := splitKeys(false, cs1, cs2, cipherID)
	s.kp = &keypair{local: idx, remote: h.Sender, send: send, recv: recv, limits: limitsFor(cipherID), netKey: key}
	// Install before sending the response: the handshake worker runs
	// beside the reader, which must find the session when the initiator's
	// first data packet follows the response. The session is unconfirmed,
	// so nothing is sent on it before the response. install counts its
	// refusals.
	if c.install(s, now) == nil {
		return
	}
	c.sendRaw(out, from)
	c.stats.hsIK.Add(1)
}

// handleFinal reads XX msg3 (the initiator's static key and identity
// payload), completing an XX handshake we answered. It checks mac1 (under
// the network key of msg1), that
// the receiver index names a half-open XX handshake of ours, that the Noise
// message decrypts and completes the handshake, and that the identity
// payload binds the initiator's static key to a peer ID other than ours,
// from the live instance or a newer one. Its timestamp is recorded, not
// checked: msg3 answers our fresh msg2 and cannot be replayed. It installs
// the session as current, with the peer at msg1's source (where msg2 went,
// which msg3 proves arrived; msg3's own source is not trusted), and pings,
// which tells the initiator msg3 arrived.
func (c *Conn) handleFinal(b []byte, h header, _ netip.AddrPort, now time.Time) {
	if !c.checkMac1(b, h.Receiver) {
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
	rid, ok := c.checkRemote(payload, hs.hs.PeerStatic(), tsRecord)
	if !ok {
		return
	}
	cipherID := negotiateCipher(c.local.flags, rid.flags)
	send, recv := splitKeys(false, cs1, cs2, cipherID)
	kp := &keypair{local: hs.local, remote: hs.remote, send: send, recv: recv, limits: limitsFor(cipherID), netKey: hs.key}
	p := c.install(newSession{id: rid.id, static: slices.Clone(hs.hs.PeerStatic()), epoch: rid.epoch, addr: hs.addr,
		kp: kp, current: true, began: hs.began}, now)
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
