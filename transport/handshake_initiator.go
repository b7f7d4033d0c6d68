package transport

// The initiator's half of the handshakes (Noise XX and IK, messages numbered
// as in the Noise Protocol Framework's patterns): Dial and rekeys send msg1, the
// initiator reads msg2 and, for XX, answers with msg3; a cookie reply under
// load makes it resend msg1 with mac2 (see internal/cookie). The responder's
// half is in handshake_responder.go.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
	return d*3/4 + rand.N(d/2+1)
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
// attempt under a new index, so that handleResponse can find it. waiter is
// Dial's result channel, nil for rekeys. It checks nothing from the peer.
func (c *Conn) initiate(to netip.AddrPort, expect peer.ID, pattern byte, static []byte, waiter chan dialResult, now time.Time) error {
	hs, err := newNoise(pattern, true, c.local, c.opts.NetworkKey, static)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	var payload []byte
	if pattern == patternIK {
		payload = c.local.payload(now)
	}
	msg, _, _, err := writeHandshake(typeHandshakeInit, pattern, 0, hs, payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	c.mu.Lock()
	idx, err := c.newIndexLocked()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.finishHandshake(msg, idx, nil)
	c.pending[idx] = &handshake{hs: hs, pattern: pattern, initiator: true, local: idx, addr: to,
		created: now, expect: expect, msg: msg, waiter: waiter}
	c.mu.Unlock()
	c.sendRaw(slices.Clone(msg), to)
	return nil
}

// handleResponse reads the responder's msg2 to one of our handshakes: XX
// msg2 (the responder's ephemeral and static keys and identity payload) or
// IK msg2 (its ephemeral key and identity payload, completing the
// handshake). It checks mac1,
// that the receiver index names a pending handshake of ours with the same
// pattern, that the Noise message decrypts, that the identity payload binds
// the responder's static key to a peer ID other than ours (no timestamp
// check: msg2 answers our own fresh msg1), and that the ID is the one Dial
// expects, if any. For XX it then sends msg3 (our static key and identity
// payload); either way it installs the session and tells Dial.
func (c *Conn) handleResponse(b []byte, h header, from netip.AddrPort, now time.Time) {
	if !c.checkMac1(b) {
		return
	}
	hs := c.takePending(h.Receiver, true, h.Pattern)
	if hs == nil {
		c.stats.drop(DropUnknownSession)
		return
	}
	payload, cs1, cs2, err := hs.hs.ReadMessage(nil, noiseMessage(b))
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	rid, ok := c.checkRemote(payload, hs.hs.PeerStatic(), false)
	if !ok {
		return
	}
	if !hs.expect.IsZero() && rid.id != hs.expect {
		c.stats.drop(DropHandshakeUnexpected)
		hs.notify(dialResult{id: rid.id, err: fmt.Errorf("%w: got %s, want %s", ErrPeerMismatch, rid.id.Short(), hs.expect.Short())})
		return
	}
	s := newSession{id: rid.id, static: slices.Clone(hs.hs.PeerStatic()), addr: from, current: true}
	var final []byte
	if hs.pattern == patternXX {
		final, cs1, cs2, err = c.sendFinal(hs, h.Sender, from, now)
		if err != nil {
			c.stats.drop(DropAuth)
			return
		}
		c.stats.hsXX.Add(1)
	} else {
		if cs1 == nil {
			c.stats.drop(DropAuth)
			return
		}
		s.keepalive = true
		c.stats.hsIK.Add(1)
	}
	send, recv := splitKeys(true, cs1, cs2, negotiateCipher(c.local.flags, rid.flags))
	s.kp = &keypair{local: hs.local, remote: h.Sender, initiator: true, send: send, recv: recv, final: final}
	s.kp.finalSent.Store(now.UnixNano())
	if c.install(s, now) == nil {
		c.stats.drop(DropHandshakeTableFull)
		hs.notify(dialResult{err: fmt.Errorf("%w: peer table full", ErrHandshake)})
		return
	}
	hs.notify(dialResult{id: rid.id})
	c.cancelSiblings(hs)
}

// sendFinal writes and sends XX msg3 (our static key and identity payload)
// to the responder whose index is receiver, and returns it with the
// session's cipher states; the timer resends it until the session is
// confirmed. It fails if the Noise state does not complete.
func (c *Conn) sendFinal(hs *handshake, receiver uint32, to netip.AddrPort, now time.Time) (final []byte, cs1, cs2 *noise.CipherState, err error) {
	final, cs1, cs2, err = writeHandshake(typeHandshakeFinal, patternXX, receiver, hs.hs, c.local.payload(now))
	if err == nil && cs1 == nil {
		err = errAuth // the XX state did not complete: never with a sound peer
	}
	if err != nil {
		return nil, nil, nil, err
	}
	c.finishHandshake(final, hs.local, nil)
	c.sendRaw(final, to)
	return final, cs1, cs2, nil
}

// handleCookie reads a cookie reply to one of our msg1s (XX or IK) from a
// responder under load. It checks that the receiver index names a pending
// handshake we initiated and that the reply decrypts with the network key
// and that msg1's mac1 as associated data; then it resends that msg1 with
// mac2 made from the cookie. The Noise state is untouched.
func (c *Conn) handleCookie(b []byte, h header) {
	c.mu.Lock()
	hs := c.pending[h.Receiver]
	c.mu.Unlock()
	if hs == nil || !hs.initiator {
		c.stats.drop(DropUnknownSession)
		return
	}
	ck, err := c.jar.OpenReply(b[cookieReplyHeaderSize:], hs.msg)
	if err != nil {
		c.stats.drop(DropAuth)
		return
	}
	msg := slices.Clone(hs.msg)
	c.jar.Seal(msg, ck)
	c.sendRaw(msg, hs.addr)
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
