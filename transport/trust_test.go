package transport_test

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
	"github.com/gwyh/gwyh/transport/internal/cookie"
)

// Packet types on the wire (see wire.go).
const (
	typeInit     = 1
	typeResponse = 2
	typeFinal    = 3
	typeCookie   = 4
	typeData     = 5
)

// rewriteSocket is a bindtest socket whose outgoing datagrams of some types
// are rewritten: dropped, or sent from another (spoofed) source address.
type rewriteSocket struct {
	*bindtest.Socket
	net     *bindtest.Network
	spoof   map[byte]netip.AddrPort // type -> source address to send from
	drop    atomic.Pointer[func(typ byte) bool]
	spoofMu sync.Mutex
}

func newRewriteSocket(net *bindtest.Network) *rewriteSocket {
	return &rewriteSocket{Socket: net.Listen(), net: net, spoof: map[byte]netip.AddrPort{}}
}

func (s *rewriteSocket) WriteBatch(pkts []transport.Packet) error {
	keep := make([]transport.Packet, 0, len(pkts))
	drop := s.drop.Load()
	for _, p := range pkts {
		if len(p.Buf) == 0 {
			continue
		}
		if drop != nil && (*drop)(p.Buf[0]) {
			continue
		}
		s.spoofMu.Lock()
		from, ok := s.spoof[p.Buf[0]]
		s.spoofMu.Unlock()
		if ok {
			s.net.Inject(from, p.Addr, p.Buf)
			continue
		}
		keep = append(keep, p)
	}
	return s.Socket.WriteBatch(keep)
}

func (s *rewriteSocket) setSpoof(typ byte, from netip.AddrPort) {
	s.spoofMu.Lock()
	defer s.spoofMu.Unlock()
	s.spoof[typ] = from
}

// rewriteConn listens on a fresh rewriteSocket of net.
func rewriteConn(t testing.TB, net *bindtest.Network, n int, o transport.Options) (*transport.Conn, *rewriteSocket) {
	t.Helper()
	s := newRewriteSocket(net)
	o.Socket = s
	c, err := transport.Listen("", identity(t, n), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, s
}

// TestPeerUpAddrIsProven: the peer's address in EventPeerUp is one a round
// trip proved, never the bare source address of a handshake message, which
// the sender can forge once (to pose as outbound, lift a ban, or dodge the
// IP-colocation score).
func TestPeerUpAddrIsProven(t *testing.T) {
	spoofed := netip.MustParseAddrPort("10.66.6.6:666")
	tests := []struct {
		name string
		typ  byte // the message the peer sends from the spoofed address
		// ik: the peer dials with IK (it knows our static key); else XX.
		ik bool
		// weDial: we are the initiator and the peer the responder.
		weDial bool
	}{
		{name: "XX msg3 from a forged source", typ: typeFinal},
		{name: "msg2 from a forged source", typ: typeResponse, weDial: true},
		{name: "IK first data from a forged source", typ: typeData, ik: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := bindtest.NewNetwork()
			us := memConn(t, net, 1, fastOpts())
			them, sock := rewriteConn(t, net, 2, fastOpts())
			if tt.ik {
				// Learn each other's static keys, then start over.
				dial(t, them, us, peer.ID{})
				nextEvent(t, us, transport.EventPeerUp)
				if err := us.Disconnect(them.ID()); err != nil {
					t.Fatal(err)
				}
				nextEvent(t, us, transport.EventPeerDown)
				testkit.Eventually(t, 5*time.Second, "them sees the bye", func() bool { return len(them.Peers()) == 0 })
			}
			sock.setSpoof(tt.typ, spoofed)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			go func() {
				if tt.weDial {
					_, _ = us.Dial(ctx, them.LocalAddr().String(), them.ID())
				} else {
					var expect peer.ID
					if tt.ik {
						expect = us.ID()
					}
					_, _ = them.Dial(ctx, us.LocalAddr().String(), expect)
				}
			}()
			ev := nextEvent(t, us, transport.EventPeerUp)
			if ev.Addr != them.LocalAddr() {
				t.Fatalf("EventPeerUp.Addr = %v, want the proven %v (forged source %v)", ev.Addr, them.LocalAddr(), spoofed)
			}
			if ev.Outbound != tt.weDial {
				t.Fatalf("Outbound = %v, want %v", ev.Outbound, tt.weDial)
			}
		})
	}
}

// TestOldInstanceInitiationCannotTearDown: an IK initiation captured from
// an earlier instance of a peer (validly signed, with its old static key,
// and a timestamp newer than any its receiver saw, since it never arrived)
// is replayed while the peer's newer instance has a session that the
// receiver dialed (so it saw no initiation of the new one). It must be
// dropped: it must not end the live session as if the peer had restarted.
func TestOldInstanceInitiationCannotTearDown(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.PeerDownTimeout = time.Minute
	a := memConn(t, net, 1, o)
	b1 := memConn(t, net, 2, o)
	dial(t, b1, a, peer.ID{}) // b1 learns a's static key
	var mu sync.Mutex
	var captured []byte
	net.SetTap(func(from, _ netip.AddrPort, pkt []byte) {
		if from == b1.LocalAddr() && pkt[0] == typeInit && pkt[1] == 2 { // IK msg1
			mu.Lock()
			captured = pkt
			mu.Unlock()
		}
	})
	net.SetConditions(bindtest.Conditions{Loss: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, _ = b1.Dial(ctx, a.LocalAddr().String(), a.ID()) // lost, but recorded
	cancel()
	net.SetConditions(bindtest.Conditions{})
	mu.Lock()
	old := captured
	mu.Unlock()
	if old == nil {
		t.Fatal("no IK initiation captured")
	}
	from := b1.LocalAddr()
	b1.Close()
	b2 := memConn(t, net, 2, o) // the restarted peer: same identity, new static key
	if got := dial(t, a, b2, peer.ID{}); got != b2.ID() {
		t.Fatalf("dial = %v", got)
	}
	// a's Dial returns once it sent msg3; b2 has the session once msg3 arrived.
	testkit.Eventually(t, 5*time.Second, "b2 has the session", func() bool { _, ok := b2.PeerStats(a.ID()); return ok })
	restarts := a.Stats().Restarts // 1: b1 -> b2
	stale := a.Stats().Drops[transport.DropStaleHandshake]
	net.Inject(from, a.LocalAddr(), old)
	testkit.Eventually(t, 5*time.Second, "the replay handled", func() bool {
		return a.Stats().Drops[transport.DropStaleHandshake] > stale || a.Stats().Restarts > restarts
	})
	if got := a.Stats().Restarts; got != restarts {
		t.Fatalf("an old instance's initiation restarted the peer: Restarts %d -> %d", restarts, got)
	}
	if err := b2.Send(a.ID(), []byte("still here"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextEvent(t, a, transport.EventPayload)
		if string(ev.Payload) == "still here" {
			break
		}
	}
}

// TestStepBackClockRestart: a node whose wall clock stepped back an hour
// between two runs can handshake with a peer that remembers its earlier run
// (and its later timestamps): the new instance resets the timestamp
// baseline, and XX msg3, which cannot be replayed, is not checked at all.
// Its IK initiations after that are ordered among themselves.
func TestStepBackClockRestart(t *testing.T) {
	net := bindtest.NewNetwork()
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	ma, mb := clock.NewMock(), clock.NewMock()
	ma.Set(start)
	mb.Set(start)
	oa, ob := fastOpts(), fastOpts()
	oa.Clock, ob.Clock = ma, mb
	oa.PeerDownTimeout, ob.PeerDownTimeout = time.Hour, time.Hour
	a := memConn(t, net, 1, oa)
	b1 := memConn(t, net, 2, ob)
	dial(t, b1, a, peer.ID{})
	dial(t, b1, a, a.ID()) // IK: a records b1's timestamp
	b1.Close()
	mb.Set(start.Add(-time.Hour)) // the step back, before the restart
	b2 := memConn(t, net, 2, ob)
	if got := dial(t, b2, a, a.ID()); got != a.ID() { // XX (b2 knows no static key), then IK
		t.Fatalf("dial = %v", got)
	}
	if got := dial(t, b2, a, a.ID()); got != a.ID() {
		t.Fatalf("second dial = %v", got)
	}
	testkit.Eventually(t, 5*time.Second, "a completes b2's IK handshake", func() bool { return a.Stats().HandshakesIK >= 2 })
	if d := a.Stats().Drops[transport.DropStaleHandshake]; d != 0 {
		t.Fatalf("%d handshakes of the restarted node dropped as stale", d)
	}
}

// TestByeOnOldKeypairIgnored: a bye sealed on a session that has since
// been replaced (delayed, or replayed by anyone who recorded it) must not
// end the current session.
func TestByeOnOldKeypairIgnored(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.PeerDownTimeout = time.Minute
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	tap := &tapData{from: a.LocalAddr()}
	net.SetTap(tap.tap)
	dial(t, a, b, peer.ID{})
	nextEvent(t, b, transport.EventPeerUp)
	net.SetConditions(bindtest.Conditions{Loss: 1}) // the bye is lost
	tap.mu.Lock()
	n := len(tap.pkts)
	tap.mu.Unlock()
	if err := a.Disconnect(b.ID()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "the bye is sent", func() bool {
		tap.mu.Lock()
		defer tap.mu.Unlock()
		return len(tap.pkts) > n && len(tap.pkts[len(tap.pkts)-1]) == 33 // header, bye frame, tag
	})
	bye := tap.last()
	net.SetConditions(bindtest.Conditions{})
	dial(t, a, b, b.ID()) // a new session; b keeps the old one for late packets
	if err := a.Send(b.ID(), []byte("new session"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, b, transport.EventPayload); string(ev.Payload) != "new session" {
		t.Fatalf("payload %q", ev.Payload)
	}
	before := b.Stats().Drops[transport.DropExpiredKeypair]
	net.Inject(a.LocalAddr(), b.LocalAddr(), bye)
	testkit.Eventually(t, 5*time.Second, "old bye dropped", func() bool {
		return b.Stats().Drops[transport.DropExpiredKeypair] > before || b.Stats().Byes > 0
	})
	if b.Stats().Byes != 0 || len(b.Peers()) != 1 {
		t.Fatalf("an old session's bye ended the current one: byes %d, peers %v", b.Stats().Byes, b.Peers())
	}
}

// holdSocket is a bindtest socket that holds back its outgoing datagrams
// of one type, for the test to deliver (or not) when it likes.
type holdSocket struct {
	*bindtest.Socket
	typ  byte
	held chan transport.Packet
}

func (s *holdSocket) WriteBatch(pkts []transport.Packet) error {
	keep := pkts[:0:0]
	for _, p := range pkts {
		if len(p.Buf) > 0 && p.Buf[0] == s.typ {
			s.held <- transport.Packet{Buf: append([]byte(nil), p.Buf...), Addr: p.Addr}
			continue
		}
		keep = append(keep, p)
	}
	return s.Socket.WriteBatch(keep)
}

// TestForgedResponseDoesNotKillDial: a forged msg2 naming the initiator's
// pending handshake (its index is on the wire; mac1 needs only the network
// key, here none) fails to authenticate and must leave the handshake as it
// was, so the real msg2 after it still completes the Dial.
func TestForgedResponseDoesNotKillDial(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.HandshakeRetry = 10 * time.Second // no retry can rescue the dial
	a := memConn(t, net, 1, o)
	hs := &holdSocket{Socket: net.Listen(), typ: typeResponse, held: make(chan transport.Packet, 8)}
	ob := o
	ob.Socket = hs
	b, err := transport.Listen("", identity(t, 2), ob)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := a.Dial(ctx, b.LocalAddr().String(), peer.ID{})
		done <- err
	}()
	real := <-hs.held
	forged := append([]byte(nil), real.Buf...)
	forged[20] ^= 1 // inside the Noise message: authentication fails
	cookie.NewKey(nil).Seal(forged, nil)
	before := a.Stats().Drops[transport.DropAuth]
	net.Inject(b.LocalAddr(), a.LocalAddr(), forged)
	testkit.Eventually(t, 5*time.Second, "forged msg2 dropped", func() bool { return a.Stats().Drops[transport.DropAuth] > before })
	net.Inject(b.LocalAddr(), a.LocalAddr(), real.Buf)
	if err := <-done; err != nil {
		t.Fatalf("the real msg2 after a forged one: %v", err)
	}
}

// TestOneCookiePerAttempt: a responder under load answers msg1 with a
// cookie reply. The initiator accepts one reply per attempt, keeps the
// cookie and uses it (mac2) on its next attempt; it resends nothing at
// once, so replayed replies make it send nothing.
func TestOneCookiePerAttempt(t *testing.T) {
	net := bindtest.NewNetwork()
	oa, ob := fastOpts(), fastOpts()
	oa.HandshakeRetry = 300 * time.Millisecond
	ob.CookieLoad = -1 // always under load
	a := memConn(t, net, 1, oa)
	b := memConn(t, net, 2, ob)
	var mu sync.Mutex
	var inits int
	var reply []byte
	net.SetTap(func(from, _ netip.AddrPort, pkt []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case from == a.LocalAddr() && pkt[0] == typeInit:
			inits++
		case from == b.LocalAddr() && pkt[0] == typeCookie:
			reply = pkt
		}
	})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := a.Dial(ctx, b.LocalAddr().String(), peer.ID{})
		done <- err
	}()
	testkit.Eventually(t, 5*time.Second, "a cookie reply", func() bool { mu.Lock(); defer mu.Unlock(); return reply != nil })
	mu.Lock()
	r := reply
	mu.Unlock()
	before := a.Stats().Drops[transport.DropHandshakeUnexpected]
	for range 3 {
		net.Inject(b.LocalAddr(), a.LocalAddr(), r)
	}
	testkit.Eventually(t, 5*time.Second, "extra replies dropped", func() bool {
		return a.Stats().Drops[transport.DropHandshakeUnexpected] >= before+3
	})
	mu.Lock()
	n := inits
	mu.Unlock()
	if n != 1 {
		t.Fatalf("%d initiations before the retry, want 1: cookie replies made the initiator resend", n)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.CookiesSent != 1 {
		t.Fatalf("CookiesSent = %d, want 1: the retry did not carry the cookie", s.CookiesSent)
	}
}

// TestRejectAfterTime: when every rekey fails, a session's keys are not
// used past RejectAfterTime: the session ends (EventPeerDown) instead of
// going on with the same keys for ever.
func TestRejectAfterTime(t *testing.T) {
	net := bindtest.NewNetwork()
	mock := clock.NewMock()
	o := fastOpts()
	o.Clock = mock
	o.PeerDownTimeout = time.Hour // only the key age can end the session
	o.RekeyAfterTime = time.Second
	o.RejectAfterTime = 2 * time.Second
	a := memConn(t, net, 1, o)
	b, sock := rewriteConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	nextEvent(t, a, transport.EventPeerUp)
	noHandshakes := func(typ byte) bool { return typ != typeData }
	sock.drop.Store(&noHandshakes) // b answers no rekey
	for range 150 {                // 1.5 s: rekeys due and failing, keys still good
		mock.Add(10 * time.Millisecond)
	}
	if len(a.Peers()) != 1 {
		t.Fatal("session ended before RejectAfterTime")
	}
	for range 60 { // past 2 s
		mock.Add(10 * time.Millisecond)
	}
	ev := nextEvent(t, a, transport.EventPeerDown)
	if ev.Peer != b.ID() {
		t.Fatalf("down %v", ev.Peer)
	}
	// b retires its keys at its next sweep (every 100 ms of its clock),
	// which a slow timer goroutine may not have reached by 2.1 s: the mock
	// goes on while waiting.
	testkit.Eventually(t, 5*time.Second, "b ends it too", func() bool {
		mock.Add(10 * time.Millisecond)
		return len(b.Peers()) == 0
	})
}
