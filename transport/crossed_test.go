package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// TestSimultaneousDialUnderLoss: two nodes dial each other at the same
// time over a lossy network. Once both Dials returned (the network is then
// made perfect, so that any payload lost is lost by the transport), every
// payload sent either way must arrive, and within a bound well under the
// time after which an unconfirmed session re-handshakes: neither side may
// send on a session the other does not have (its msg3 lost, or dropped in
// the tie-break of crossed handshakes) and count the link as up meanwhile.
func TestSimultaneousDialUnderLoss(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			simultaneousDial(t, seed)
		})
	}
}

func simultaneousDial(t *testing.T, seed uint64) {
	net := bindtest.NewNetwork()
	net.SetConditions(bindtest.Conditions{Loss: 0.2, Reorder: 0.2, Seed: seed})
	o := fastOpts()
	o.HandshakeRetry = 300 * time.Millisecond // an unconfirmed session re-handshakes after 900 ms
	o.PeerDownTimeout = 10 * time.Second
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	errs := make(chan error, 2)
	for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := d[0].Dial(ctx, d[1].LocalAddr().String(), d[1].ID())
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	net.SetConditions(bindtest.Conditions{})
	start := time.Now()
	const msgs, bound = 20, 500 * time.Millisecond
	for i := range msgs {
		for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
			if err := d[0].Send(d[1].ID(), []byte{byte(i)}, transport.PriorityMessage); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[*transport.Conn]int{}
	deadline := time.After(bound)
	for got[a] < msgs || got[b] < msgs {
		select {
		case ev := <-a.Events():
			if ev.Kind == transport.EventPayload {
				got[a]++
			}
		case ev := <-b.Events():
			if ev.Kind == transport.EventPayload {
				got[b]++
			}
		case <-deadline:
			t.Fatalf("after %v, a got %d and b %d of %d payloads (unknown-session drops: a %d, b %d)", bound, got[a], got[b], msgs,
				a.Stats().Drops[transport.DropUnknownSession], b.Stats().Drops[transport.DropUnknownSession])
		}
	}
	t.Logf("all delivered after %v", time.Since(start))
}

// TestCrossedRedialNotStale: two peers with a session both redial each
// other (IK) at the same moment, 40 times, and every Dial must complete
// without waiting for a retry (HandshakeRetry is long here, so a retry
// shows as seconds against milliseconds). The step-by-step cases are the
// tests below.
func TestCrossedRedialNotStale(t *testing.T) {
	o := fastOpts()
	o.HandshakeRetry = 5 * time.Second
	o.PeerDownTimeout = 10 * time.Second
	// 40 rounds: before the fix about one round in ten waited.
	for i := range 40 {
		net := bindtest.NewNetwork()
		a := memConn(t, net, 2*i+1, o)
		b := memConn(t, net, 2*i+2, o)
		for _, c := range []*transport.Conn{a, b} {
			go func() {
				for range c.Events() {
				}
			}()
		}
		dial(t, b, a, a.ID())
		took := make(chan time.Duration, 2)
		for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				start := time.Now()
				if _, err := d[0].Dial(ctx, d[1].LocalAddr().String(), d[1].ID()); err != nil {
					t.Error(err)
				}
				took <- time.Since(start)
			}()
		}
		for range 2 {
			if d := <-took; d > o.HandshakeRetry/2 {
				t.Fatalf("round %d: a crossed redial took %v: it waited for a retry", i, d)
			}
		}
		a.Close()
		b.Close()
	}
}

// gate is a socket of a bindtest Network that, while shut, holds back the
// handshake packets written to it (data packets pass), so that a test can
// hand them on one by one in the order it picks.
type gate struct {
	*bindtest.Socket
	net  *bindtest.Network
	mu   sync.Mutex
	shut bool
	held chan heldPacket
}

var _ transport.Socket = (*gate)(nil)

type heldPacket struct {
	to netip.AddrPort
	b  []byte
}

func (g *gate) WriteBatch(pkts []transport.Packet) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shut {
		return g.Socket.WriteBatch(pkts)
	}
	pass := make([]transport.Packet, 0, len(pkts))
	for _, p := range pkts {
		if len(p.Buf) > 0 && p.Buf[0] != typeData { // a handshake packet (trust_test.go)
			g.held <- heldPacket{to: p.Addr, b: bytes.Clone(p.Buf)}
			continue
		}
		pass = append(pass, p)
	}
	return g.Socket.WriteBatch(pass)
}

func (g *gate) setShut(shut bool) {
	g.mu.Lock()
	g.shut = shut
	g.mu.Unlock()
}

// next returns the next handshake packet held, which must be of type typ.
func (g *gate) next(t *testing.T, typ byte) heldPacket {
	t.Helper()
	select {
	case p := <-g.held:
		if p.b[0] != typ {
			t.Fatalf("held a handshake packet of type %d, want %d", p.b[0], typ)
		}
		return p
	case <-time.After(5 * time.Second):
		t.Fatalf("no handshake packet of type %d", typ)
	}
	return heldPacket{}
}

// release delivers p as the gate's socket sent it.
func (g *gate) release(p heldPacket) { g.net.Inject(g.LocalAddr(), p.to, p.b) }

// redialRace is the race of TestCrossedRedialNotStale taken step by step,
// on a mock clock that never moves (no timer fires: a Dial that would wait
// for a retry waits until its context ends). lo and hi (by peer ID) have a
// session hi made, and both redial (IK): hi answers lo's msg1 (its answer,
// msg2, is held), and only then begins its own initiation, whose msg1 is
// held too. For hi that is a new session after lo's completed; lo reads it
// at its leisure, as the test delivers the two messages.
type redialRace struct {
	lo, hi         *transport.Conn
	gate           *gate      // hi's socket
	msg2, msg1     heldPacket // hi's, to lo
	loDial, hiDial chan error
}

func newRedialRace(t *testing.T) *redialRace {
	lo, hi, _, hiGate := newGatedPair(t)
	r := &redialRace{lo: lo, hi: hi, gate: hiGate}
	r.gate.setShut(true)
	r.loDial = redialAsync(r.lo, r.hi, r.hi.ID())
	r.msg2 = r.gate.next(t, typeResponse)
	r.hiDial = redialAsync(r.hi, r.lo, r.lo.ID())
	r.msg1 = r.gate.next(t, typeInit)
	return r
}

// newGatedPair returns two Conns on a mock clock that never moves, lo and
// hi by peer ID, each on a gate (open), with a session hi made (XX) and
// confirmed: each knows the other's static key, so their redials are IK.
func newGatedPair(t *testing.T) (lo, hi *transport.Conn, loGate, hiGate *gate) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.Clock = clock.NewMock()
	var conns [2]*transport.Conn
	var gates [2]*gate
	for i := range conns {
		gates[i] = &gate{Socket: net.Listen(), net: net, held: make(chan heldPacket, 64)}
		o.Socket = gates[i]
		c, err := transport.Listen("", identity(t, i+1), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	lo, hi, loGate, hiGate = conns[0], conns[1], gates[0], gates[1]
	if lo.ID().Compare(hi.ID()) > 0 {
		lo, hi, loGate, hiGate = hi, lo, hiGate, loGate
	}
	dial(t, hi, lo, lo.ID())
	nextEvent(t, lo, transport.EventPeerUp) // lo's session confirmed
	return lo, hi, loGate, hiGate
}

// redialAsync dials to from c, expecting expect, and sends the outcome,
// within 5 s of real time, on the channel it returns.
func redialAsync(c, to *transport.Conn, expect peer.ID) chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Dial(ctx, to.LocalAddr().String(), expect)
		done <- err
	}()
	return done
}

// finish waits for both Dials and checks that a payload goes either way.
func (r *redialRace) finish(t *testing.T) {
	t.Helper()
	for name, done := range map[string]chan error{"lo": r.loDial, "hi": r.hiDial} {
		if err := <-done; err != nil {
			t.Fatalf("%s's redial: %v (it waited for a retry)", name, err)
		}
	}
	payloadsBothWays(t, r.lo, r.hi)
}

// payloadsBothWays checks that a payload goes from a to b and back.
func payloadsBothWays(t *testing.T, a, b *transport.Conn) {
	t.Helper()
	for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
		if err := d[0].Send(d[1].ID(), []byte("after"), transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, d[1], transport.EventPayload); string(ev.Payload) != "after" {
			t.Fatalf("got %q", ev.Payload)
		}
	}
}

// TestCrossedRedialOvertaken: hi's msg1 reaches lo before hi's msg2 (it was
// sent after, but the handshake worker and Dial's goroutine race to the
// socket, and networks reorder), while lo's own initiation is pending: lo
// drops it as crossed, as the tie-break says. hi's Dial must not then wait
// a retry period for an answer that never comes: once lo completes and
// sends on its session, hi's Dial has it.
func TestCrossedRedialOvertaken(t *testing.T) {
	r := newRedialRace(t)
	dropped := r.lo.Stats().Drops[transport.DropHandshakeUnexpected]
	r.gate.release(r.msg1)
	testkit.Eventually(t, 5*time.Second, "lo drops hi's crossed msg1", func() bool {
		return r.lo.Stats().Drops[transport.DropHandshakeUnexpected] > dropped
	})
	r.gate.release(r.msg2)
	r.gate.setShut(false)
	r.finish(t)
}

// TestCrossedRedialSameTime: lo reads hi's msg2, completing its own
// initiation, and then hi's msg1, with the same clock reading (as in one
// reader batch; on the mock clock every reading is the same). hi's
// initiation began after lo's completed, as far as lo can tell: lo must
// answer it, not drop it as crossed.
func TestCrossedRedialSameTime(t *testing.T) {
	r := newRedialRace(t)
	st := r.lo.Stats()
	r.gate.release(r.msg2)
	if err := <-r.loDial; err != nil {
		t.Fatalf("lo's redial: %v", err)
	}
	r.loDial <- nil
	r.gate.release(r.msg1)
	r.gate.setShut(false)
	testkit.Eventually(t, 5*time.Second, "lo answers hi's msg1", func() bool {
		return r.lo.Stats().HandshakesIK >= st.HandshakesIK+2 // its own, and hi's
	})
	if d := r.lo.Stats().Drops[transport.DropHandshakeUnexpected]; d != st.Drops[transport.DropHandshakeUnexpected] {
		t.Fatalf("lo dropped %d handshakes as unexpected (crossed)", d-st.Drops[transport.DropHandshakeUnexpected])
	}
	r.finish(t)
}

// TestCrossedInitiationAfterAnswer: lo's IK initiation reaches hi after
// lo's answer to a crossed XX dial of hi's (XX msg2, whose timestamp is
// newer: lo drew it while its msg1 was on the way). An initiation is a
// replay only if it is not newer than the initiations seen before it: hi
// must answer it, or lo's Dial waits a retry period.
func TestCrossedInitiationAfterAnswer(t *testing.T) {
	lo, hi, loGate, _ := newGatedPair(t)
	loGate.setShut(true)
	loDial := redialAsync(lo, hi, hi.ID()) // IK
	msg1 := loGate.next(t, typeInit)
	hiDial := redialAsync(hi, lo, peer.ID{}) // XX: lo answers at once
	loGate.release(loGate.next(t, typeResponse))
	if err := <-hiDial; err != nil { // hi read lo's msg2
		t.Fatalf("hi's dial: %v", err)
	}
	stale := hi.Stats().Drops[transport.DropStaleHandshake]
	loGate.setShut(false)
	loGate.release(msg1)
	if err := <-loDial; err != nil {
		t.Fatalf("lo's redial: %v (hi dropped its msg1: %d as stale)", err,
			hi.Stats().Drops[transport.DropStaleHandshake]-stale)
	}
	payloadsBothWays(t, lo, hi)
}
