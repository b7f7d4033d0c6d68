package transport

// The initiator's half of the handshakes (Noise XX and IK, messages numbered
// as in the Noise Protocol Framework's patterns): Dial and rekeys send msg1, the
// initiator reads msg2 and, for XX, answers with msg3; a cookie reply under
// load makes it resend msg1 with mac2 (see internal/cookie). The responder's
// half is in handshake_responder.go.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/flynn/noise"

	"github.com/gwyh/gwyh/peer"
)

// Dial establishes a session with the node at addr ("host:port") and returns
// its peer ID. With a zero expect it runs Noise XX and accepts any peer. With
// a known expect it runs IK when a static key for expect was learned from an
// earlier session (alternating with XX on retries, in case the peer restarted
// with a new key), and XX otherwise; either way the handshake fails with
// ErrPeerMismatch if the peer proves a different ID. The handshake is resent
// after Options.HandshakeRetry, backing off to 8× that, until ctx ends (ErrHandshake wrapping the
// context error). Dialing a peer with a session makes a fresh session.
func (c *Conn) Dial(ctx context.Context, addr string, expect peer.ID) (peer.ID, error) {
	to, err := resolveAddr(addr)
	if err != nil {
		return peer.ID{}, err
	}
	if expect == c.ID() {
		return peer.ID{}, fmt.Errorf("%w: dialing self", ErrPeerMismatch)
	}
	waiter := make(chan dialResult, 8)
	retry := c.clock.Timer(time.Hour)
	defer retry.Stop()
	for attempt := 0; ; attempt++ {
		if c.closed() {
			return peer.ID{}, ErrClosed
		}
		pattern, static := byte(patternXX), []byte(nil)
		if !expect.IsZero() && attempt%2 == 0 {
			if static = c.knownStatic(expect); static != nil {
				pattern = patternIK
			}
		}
		if err := c.initiate(to, expect, pattern, static, waiter, c.clock.Now()); err != nil {
			return peer.ID{}, err
		}
		retry.Reset(retryDelay(c.opts.HandshakeRetry, attempt))
		select {
		case r := <-waiter:
			if r.err == nil || errors.Is(r.err, ErrPeerMismatch) {
				return r.id, r.err
			}
		case <-retry.C:
		case <-ctx.Done():
			return peer.ID{}, fmt.Errorf("%w: %s: %w", ErrHandshake, addr, ctx.Err())
		case <-c.done:
			return peer.ID{}, ErrClosed
		}
	}
}

// retryDelay backs off exponentially from base to 8×base, with ±25% jitter
// so that many dialers do not retry in lockstep.
func retryDelay(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 3)
	return d*3/4 + mrand.N(d/2+1)
}

func resolveAddr(addr string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return netipUnmap(ap), nil
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("transport: resolve %q: %w", addr, err)
	}
	return netipUnmap(ua.AddrPort()), nil
}

// knownStatic returns the Noise static key learned for id in an earlier
// session, which lets Dial send IK msg1, or nil.
func (c *Conn) knownStatic(id peer.ID) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.known.Peek(id); ok && k.static != nil {
		return slices.Clone(k.static)
	}
	return nil
}

// initiate sends msg1 of a fresh handshake to to (XX msg1: an ephemeral
// key; IK msg1: ephemeral, our static key and identity payload, encrypted to
// static, the responder's static key learned earlier) and records the
// attempt under a new index, so that handleResponse can find it. msg1 carries
// mac2 when a cookie from to is at hand (see handleCookie). waiter is Dial's
// result channel, nil for rekeys. It checks nothing from the peer.
func (c *Conn) initiate(to netip.AddrPort, expect peer.ID, pattern byte, static []byte, waiter chan dialResult, now time.Time) error {
	eph := make([]byte, 32)
	if _, err := rand.Read(eph); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	hs := &handshake{pattern: pattern, initiator: true, addr: to, created: now, expect: expect,
		eph: eph, peerStatic: slices.Clone(static), waiter: waiter, key: c.ring.Load().primary()}
	// The attempt is registered before msg1 is built, so that every
	// handshake this Conn answers from now on sees it (crossed dials, see
	// crossed.go). Until msg is set (under c.mu) the attempt has sent
	// nothing and nothing reads its message, payload or ephemeral key.
	c.mu.Lock()
	idx, err := c.newIndexLocked()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	hs.local = idx
	hs.began = c.order.Add(1)
	c.pending[idx] = hs
	c.mu.Unlock()
	built := &handshake{pattern: pattern, peerStatic: hs.peerStatic, eph: eph, key: hs.key}
	if pattern == patternIK {
		built.payload = c.local.payload(now)
	}
	_, err = c.initiatorState(built)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[idx] != hs {
		// Won by the peer's crossed initiation (its Dial has the session)
		// or expired while being built: nothing to send.
		clear(eph)
		return nil
	}
	if err != nil {
		c.dropPendingLocked(idx)
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	hs.payload, hs.msg = built.payload, built.msg
	finishHandshake(hs.msg, idx, hs.key, c.cookieForLocked(to, now))
	c.sendRaw(slices.Clone(hs.msg), to)
	return nil
}

// initiatorState returns a fresh Noise state of the initiator's handshake
// hs after msg1, rebuilt from msg1's ephemeral key and payload: Noise is
// deterministic given the keys, so the state equals the one that wrote msg1.
// The first call also sets hs.msg (with its index and MACs still zero).
// Reading msg2 on a rebuilt state means a forged msg2 spoils nothing.
func (c *Conn) initiatorState(hs *handshake) (*noise.HandshakeState, error) {
	st, err := newNoise(hs.pattern, true, c.local, hs.key.psk, hs.peerStatic, hs.eph)
	if err != nil {
		return nil, err
	}
	msg, _, _, err := writeHandshake(typeHandshakeInit, hs.pattern, 0, st, hs.payload)
	if err != nil {
		return nil, err
	}
	if hs.msg == nil {
		hs.msg = msg
	}
	return st, nil
}

// handleResponse reads the responder's msg2 to one of our handshakes: XX
// msg2 (the responder's ephemeral and static keys and identity payload) or
// IK msg2 (its ephemeral key and identity payload, completing the
// handshake). It checks mac1 (under the network key msg1 was sent with),
// that the receiver index names a pending
// handshake of ours with the same pattern, that the Noise message decrypts
// (on a rebuilt state: until msg2 authenticates, the pending handshake is
// neither taken nor changed, so a forged msg2 cannot kill the dial), that
// the identity payload binds the responder's static key to a peer ID other
// than ours, from the live instance or a newer one (its timestamp is
// neither checked nor recorded, see tsIgnore), and that the ID is the one Dial expects, if
// any. For XX it then sends msg3 (our static key and identity payload);
// either way it installs the session and tells Dial. The session's address
// is the one msg1 was sent to, not msg2's source.
func (c *Conn) handleResponse(b []byte, h header, _ netip.AddrPort, now time.Time) {
	if !c.checkMac1(b, h.Receiver) {
		return
	}
	c.mu.Lock()
	hs := c.pending[h.Receiver]
	sent := hs != nil && hs.msg != nil
	c.mu.Unlock()
	if !sent || !hs.initiator || hs.pattern != h.Pattern {
		c.stats.drop(DropUnknownSession)
		return
	}
	st, err := c.initiatorState(hs)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	payload, cs1, cs2, err := st.ReadMessage(nil, noiseMessage(b))
	if err != nil || (hs.pattern == patternIK && cs1 == nil) {
		c.stats.drop(DropAuth)
		return
	}
	rid, ok := c.checkRemote(payload, st.PeerStatic(), tsIgnore)
	if !ok {
		return
	}
	if c.takePending(h.Receiver, true, h.Pattern) != hs {
		c.stats.drop(DropUnknownSession) // answered already, or cancelled meanwhile
		return
	}
	if !hs.expect.IsZero() && rid.id != hs.expect {
		c.stats.drop(DropHandshakeUnexpected)
		hs.notify(dialResult{id: rid.id, err: fmt.Errorf("%w: got %s, want %s", ErrPeerMismatch, rid.id.Short(), hs.expect.Short())})
		return
	}
	s := newSession{id: rid.id, static: slices.Clone(st.PeerStatic()), epoch: rid.epoch, addr: hs.addr, current: true, began: hs.began,
		kp: &keypair{initiator: true}}
	// A handshake that loses a crossing (crossed.go) must not send msg3:
	// the peer would install a session we drop. The peer's own session is
	// up, so Dial gets it.
	c.mu.Lock()
	lose, _ := c.crossedLocked(c.peers[rid.id], s)
	c.mu.Unlock()
	if lose {
		c.stats.drop(DropHandshakeUnexpected)
		hs.notify(dialResult{id: rid.id})
		return
	}
	var final []byte
	if hs.pattern == patternXX {
		final, cs1, cs2, err = c.sendFinal(hs, st, h.Sender, now)
		if err != nil {
			c.stats.drop(DropAuth)
			return
		}
		c.stats.hsXX.Add(1)
	} else {
		s.keepalive = true
		c.stats.hsIK.Add(1)
	}
	cipherID := negotiateCipher(c.local.flags, rid.flags)
	send, recv := splitKeys(true, cs1, cs2, cipherID)
	s.kp = &keypair{local: hs.local, remote: h.Sender, initiator: true, send: send, recv: recv, final: final, limits: limitsFor(cipherID), netKey: hs.key}
	s.kp.finalSent.Store(now.UnixNano())
	// msg3 is resent after twice the handshake's round trip, doubling, but
	// first within half a retry period: a late msg2 overstates the round
	// trip, and the responder keeps its half-open state for only one retry
	// period more than we keep the attempt (expireHandshakes).
	s.kp.finalEvery.Store(int64(min(max(2*now.Sub(hs.created), 2*c.opts.TickInterval), c.opts.HandshakeRetry/2)))
	if c.install(s, now) == nil {
		if c.hasSession(rid.id) {
			hs.notify(dialResult{id: rid.id}) // a crossed handshake of the peer's made the session
		} else {
			hs.notify(dialResult{err: fmt.Errorf("%w: session refused (see Stats.Drops)", ErrHandshake)})
		}
		return
	}
	hs.notify(dialResult{id: rid.id})
	c.cancelSiblings(hs)
}

// hasSession reports whether the peer id has a session.
func (c *Conn) hasSession(id peer.ID) bool {
	c.mu.Lock()
	p := c.peers[id]
	c.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.gone && p.current != nil
}

// sendFinal writes and sends XX msg3 (our static key and identity payload)
// on st, the Noise state after msg2, to the responder whose index is
// receiver, at the address msg1 went to, and returns it with the session's
// cipher states; the timer resends it until the session is confirmed. It
// fails if the Noise state does not complete.
func (c *Conn) sendFinal(hs *handshake, st *noise.HandshakeState, receiver uint32, now time.Time) (final []byte, cs1, cs2 *noise.CipherState, err error) {
	final, cs1, cs2, err = writeHandshake(typeHandshakeFinal, patternXX, receiver, st, c.local.payload(now))
	if err == nil && cs1 == nil {
		err = errAuth // the XX state did not complete: never with a sound peer
	}
	if err != nil {
		return nil, nil, nil, err
	}
	finishHandshake(final, hs.local, hs.key, nil)
	c.sendRaw(final, hs.addr)
	return final, cs1, cs2, nil
}

// cookieLife is how long a cookie from a responder is used: the responder
// accepts it while the secret it came from is current or previous, for at
// least internal/cookie's rotation period of two minutes.
const cookieLife = 2 * time.Minute

// storedCookie is the last cookie a responder under load gave us.
type storedCookie struct {
	cookie []byte
	at     time.Time
}

// handleCookie reads a cookie reply to one of our msg1s (XX or IK) from a
// responder under load. It checks that the receiver index names a pending
// handshake we initiated that has had no cookie reply yet (one per
// attempt), and that the reply decrypts with the network key msg1 was sent
// with and that msg1's
// mac1 as associated data. It then keeps the cookie for the responder's
// address: the next attempt (Dial's retry, or the next rekey) carries mac2
// made from it. Nothing is resent at once, as in WireGuard, so forged or
// replayed replies cannot make us send. The Noise state is untouched.
func (c *Conn) handleCookie(b []byte, h header) {
	c.mu.Lock()
	hs := c.pending[h.Receiver]
	cookied := hs != nil && hs.cookied
	sent := hs != nil && hs.msg != nil
	c.mu.Unlock()
	if !sent || !hs.initiator {
		c.stats.drop(DropUnknownSession)
		return
	}
	if cookied {
		c.stats.drop(DropHandshakeUnexpected)
		return
	}
	ck, err := hs.key.mac.OpenReply(b[cookieReplyHeaderSize:], hs.msg)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hs.cookied {
		c.stats.drop(DropHandshakeUnexpected)
		return
	}
	hs.cookied = true
	if _, ok := c.cookies[hs.addr]; ok || len(c.cookies) < c.opts.MaxPeers {
		c.cookies[hs.addr] = storedCookie{cookie: ck, at: c.clock.Now()}
	}
}

// cookieForLocked returns the cookie to make mac2 with for a msg1 to to,
// or nil. c.mu held.
func (c *Conn) cookieForLocked(to netip.AddrPort, now time.Time) []byte {
	if sc, ok := c.cookies[to]; ok && now.Sub(sc.at) < cookieLife {
		return sc.cookie
	}
	return nil
}

// expireCookiesLocked forgets cookies older than cookieLife. c.mu held.
func (c *Conn) expireCookiesLocked(now time.Time) {
	for a, sc := range c.cookies {
		if now.Sub(sc.at) >= cookieLife {
			delete(c.cookies, a)
		}
	}
}

// cancelSiblings forgets the other attempts of the Dial that hs belongs to,
// so late msg2s answering them do not make extra sessions.
func (c *Conn) cancelSiblings(hs *handshake) {
	if hs.waiter == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for idx, other := range c.pending {
		if other.waiter == hs.waiter {
			c.dropPendingLocked(idx)
		}
	}
}

// notify hands Dial the outcome of the handshake hs, if Dial waits for it.
func (h *handshake) notify(r dialResult) {
	if h.waiter == nil {
		return
	}
	select {
	case h.waiter <- r:
	default:
	}
}
