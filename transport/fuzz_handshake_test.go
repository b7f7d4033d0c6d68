package transport

import (
	"crypto/ed25519"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport/internal/cookie"
)

// nullSocket discards writes; reads block until Close.
type nullSocket struct {
	done chan struct{}
	once sync.Once
}

func newNullSocket() *nullSocket { return &nullSocket{done: make(chan struct{})} }

func (s *nullSocket) ReadBatch([]Packet) (int, error) { <-s.done; return 0, ErrClosed }
func (s *nullSocket) WriteBatch([]Packet) error       { return nil }
func (s *nullSocket) LocalAddr() netip.AddrPort {
	return netip.MustParseAddrPort("10.9.9.9:9")
}
func (s *nullSocket) Close() error { s.once.Do(func() { close(s.done) }); return nil }

var _ Socket = (*nullSocket)(nil)

func testIdentity(t testing.TB, b byte) *peer.Identity {
	t.Helper()
	id, err := peer.IdentityFromSeed(append(make([]byte, ed25519.SeedSize-1), b))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// primaryMac is the mac1 key of c's primary network key.
func primaryMac(c *Conn) *cookie.Key { return c.ring.Load().primary().mac }

// initiation builds a first handshake message from a fresh initiator
// without a network key, its mac1 made under c's primary network key.
func initiation(t testing.TB, c *Conn, pattern byte, responderStatic []byte) []byte {
	t.Helper()
	l, err := newLocalID(testIdentity(t, 99), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hs, err := newNoise(pattern, true, l, nil, responderStatic, nil)
	if err != nil {
		t.Fatal(err)
	}
	var payload []byte
	if pattern == patternIK {
		payload = l.payload(time.Now())
	}
	msg, _, _, err := writeHandshake(typeHandshakeInit, pattern, 0, hs, payload)
	if err != nil {
		t.Fatal(err)
	}
	msg[4] = 1
	primaryMac(c).Seal(msg, nil)
	return msg
}

// feed hands c one datagram as the reader does, except that a msg1 is
// answered at once rather than through the handshake worker's queue, so
// tests see its effect on return.
func feed(c *Conn, pkt []byte, from netip.AddrPort, now time.Time) {
	if h, err := parsePacket(pkt); err == nil && h.Type == typeHandshakeInit {
		if k := c.initMac1(pkt); k != nil {
			c.respondInit(pkt, h, k, from, now, c.order.Add(1))
		}
		return
	}
	c.handlePacket(pkt, from, now)
}

// FuzzHandshakeResponder feeds arbitrary packets to a responder. The first
// input byte picks the mode: odd sends the rest as the datagram; even wraps
// the rest as the Noise part of a handshake packet of type in[1] with valid
// mac1, so the fuzzer reaches the Noise and identity checks. Nothing may
// panic, and the handshake table stays within its bound.
func FuzzHandshakeResponder(f *testing.F) {
	o := Options{Socket: newNullSocket(), HandshakeRate: 1e9, HandshakeBurst: 1 << 30, MaxHalfOpen: 64, CookieRate: 1e9}
	c, err := Listen("", testIdentity(f, 1), o)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	xx := initiation(f, c, patternXX, nil)
	ik := initiation(f, c, patternIK, c.local.static.Public)
	f.Add(append([]byte{1}, xx...))
	f.Add(append([]byte{1}, ik...))
	f.Add(append([]byte{0, typeHandshakeInit, patternXX}, initNoise(xx, patternXX, false)...))
	f.Add(append([]byte{0, typeHandshakeInit, patternIK}, initNoise(ik, patternIK, false)...))
	f.Add(append([]byte{0, typeHandshakeFinal, patternXX}, make([]byte, 64)...))
	from := netip.MustParseAddrPort("10.1.1.1:1000")
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 3 {
			return
		}
		pkt := in[1:]
		if in[0]%2 == 0 {
			if len(in[3:]) > maxHandshakeSize {
				return
			}
			var recv uint32
			if in[1] != typeHandshakeInit {
				recv = 7
			}
			pkt = appendHandshakeHeader(nil, in[1], in[2], 1, recv)
			pkt = append(pkt, in[3:]...)
			if in[1] == typeHandshakeInit && (in[2] == patternXX || in[2] == patternIK) {
				pkt = append(pkt, make([]byte, max(0, minInitSize(in[2])-handshakeMacsSize-len(pkt)))...)
			}
			pkt = append(pkt, make([]byte, handshakeMacsSize)...)
			primaryMac(c).Seal(pkt, nil)
		}
		feed(c, pkt, from, time.Now())
		c.mu.Lock()
		n := c.halfOpen.len()
		c.mu.Unlock()
		if n > o.MaxHalfOpen {
			t.Fatalf("%d half-open handshakes > %d", n, o.MaxHalfOpen)
		}
	})
}

func TestResponderAcceptsSeeds(t *testing.T) {
	c, err := Listen("", testIdentity(t, 1), Options{Socket: newNullSocket()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	from := netip.MustParseAddrPort("10.1.1.1:1000")
	feed(c, initiation(t, c, patternXX, nil), from, time.Now())
	c.mu.Lock()
	half := c.halfOpen.len()
	c.mu.Unlock()
	if half != 1 {
		t.Fatalf("XX initiation: %d half-open, want 1", half)
	}
	feed(c, initiation(t, c, patternIK, c.local.static.Public), from, time.Now())
	if s := c.Stats(); s.HandshakesIK != 1 {
		t.Fatalf("IK initiation did not complete: %+v", s)
	}
}

// FuzzHandshakeInitiator feeds arbitrary msg2s and cookie replies to an
// initiator with pending XX and IK handshakes, addressed to their indices
// (msg2s with a valid mac1), so the fuzzer reaches the Noise, identity and
// cookie checks. Nothing may panic, and no forged message may take a
// pending handshake out of the table.
func FuzzHandshakeInitiator(f *testing.F) {
	// A mock clock: pending handshakes must not expire while fuzzing.
	c, err := Listen("", testIdentity(f, 1), Options{Socket: newNullSocket(), Clock: clock.NewMock()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	to := netip.MustParseAddrPort("10.1.1.1:1000")
	responder, err := newLocalID(testIdentity(f, 2), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	if err := c.initiate(to, peer.ID{}, patternXX, nil, nil, time.Now()); err != nil {
		f.Fatal(err)
	}
	if err := c.initiate(to, peer.ID{}, patternIK, responder.static.Public, nil, time.Now()); err != nil {
		f.Fatal(err)
	}
	c.mu.Lock()
	idx := map[byte]uint32{}
	for i, hs := range c.pending {
		idx[hs.pattern] = i
	}
	c.mu.Unlock()
	f.Add([]byte{typeHandshakeResponse, patternXX}, make([]byte, 32+48+idPayloadSize+16))
	f.Add([]byte{typeHandshakeResponse, patternIK}, make([]byte, 32+idPayloadSize+16))
	f.Add([]byte{typeCookieReply, patternXX}, make([]byte, cookieReplySize-cookieReplyHeaderSize))
	f.Fuzz(func(t *testing.T, head, body []byte) {
		if len(head) < 2 || len(body) > maxHandshakeSize {
			return
		}
		recv := idx[head[1]]
		var pkt []byte
		if head[0] == typeCookieReply {
			pkt = append(appendCookieReplyHeader(nil, recv), body...)
		} else {
			pkt = appendHandshakeHeader(nil, typeHandshakeResponse, head[1], 1, recv)
			pkt = append(append(pkt, body...), make([]byte, handshakeMacsSize)...)
			primaryMac(c).Seal(pkt, nil)
		}
		c.handlePacket(pkt, to, time.Now())
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n != 2 {
			t.Fatalf("%d pending handshakes after a forged message, want 2", n)
		}
	})
}
