package transport_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

func TestRekeyWhileTrafficFlows(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.RekeyAfterTime = 100 * time.Millisecond
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	start := time.Now()
	var buf [8]byte
	n := 0
	for time.Since(start) < 600*time.Millisecond {
		for _, dir := range [][2]*transport.Conn{{a, b}, {b, a}} {
			binary.LittleEndian.PutUint64(buf[:], uint64(n))
			if err := dir[0].Send(dir[1].ID(), buf[:], transport.PriorityMessage); err != nil {
				t.Fatalf("send %d: %v", n, err)
			}
			ev := nextEvent(t, dir[1], transport.EventPayload)
			if got := binary.LittleEndian.Uint64(ev.Payload); got != uint64(n) {
				t.Fatalf("message %d arrived as %d", n, got)
			}
			n++
		}
	}
	st, _ := a.PeerStats(b.ID())
	if st.Rekeys < 3 {
		t.Fatalf("only %d rekeys in 600ms with RekeyAfterTime 100ms", st.Rekeys)
	}
	if s := a.Stats(); s.HandshakesIK < 3 {
		t.Fatalf("rekeys should run IK: %+v", s)
	}
	t.Logf("%d messages, %d rekeys", n, st.Rekeys)
}

func TestRekeyAfterMessages(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.RekeyAfterMessages = 50
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		if err := a.Send(b.ID(), []byte{byte(i)}, transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, b, transport.EventPayload); ev.Payload[0] != byte(i) {
			t.Fatalf("message %d arrived as %d", i, ev.Payload[0])
		}
		if st, _ := a.PeerStats(b.ID()); st.Rekeys >= 3 || time.Now().After(deadline) {
			break
		}
	}
	if st, _ := a.PeerStats(b.ID()); st.Rekeys < 3 {
		t.Fatalf("rekeys = %d in 5s with RekeyAfterMessages 50; a %+v b %+v", st.Rekeys, a.Stats(), b.Stats())
	}
}

func TestPeerRestartReplacesSession(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, fastOpts())
	dial(t, b, a, peer.ID{})
	nextEvent(t, a, transport.EventPeerUp)
	b.Close()

	b2 := memConn(t, net, 2, fastOpts()) // same identity, new socket and static key
	if got := dial(t, b2, a, a.ID()); got != a.ID() {
		t.Fatalf("dial = %v", got)
	}
	testkit.Eventually(t, 5*time.Second, "a sees b at its new address", func() bool {
		st, ok := a.PeerStats(b2.ID())
		return ok && st.Addr == b2.LocalAddr()
	})
	if err := a.Send(b2.ID(), []byte("welcome back"), transport.PriorityControl); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, b2, transport.EventPayload); string(ev.Payload) != "welcome back" {
		t.Fatalf("got %q", ev.Payload)
	}
	// a's cached static key for b is stale now; dialing b2 with IK fails
	// over to XX.
	if got := dial(t, a, b2, b2.ID()); got != b2.ID() {
		t.Fatalf("redial = %v", got)
	}
}

func TestPeerDown(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.PeerDownTimeout = 300 * time.Millisecond
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	nextEvent(t, a, transport.EventPeerUp)
	// Keepalives keep the session up well past the timeout.
	start := time.Now()
	testkit.Eventually(t, 5*time.Second, "keepalives", func() bool { return time.Since(start) > 3*o.PeerDownTimeout })
	if len(a.Peers()) != 1 {
		t.Fatal("peer dropped despite keepalives")
	}
	st, _ := a.PeerStats(b.ID())
	if st.RTT <= 0 {
		t.Fatalf("RTT not measured: %+v", st)
	}
	b.Close()
	if ev := nextEvent(t, a, transport.EventPeerDown); ev.Peer != b.ID() {
		t.Fatalf("down: %v", ev.Peer)
	}
	if err := a.Send(b.ID(), []byte("x"), transport.PriorityMessage); err == nil {
		t.Fatal("Send to a down peer succeeded")
	}
}

func TestFragmentsUnderLossAndReordering(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.ReassemblyTimeout = 200 * time.Millisecond
	o.PeerDownTimeout = 10 * time.Second
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	net.SetConditions(bindtest.Conditions{Loss: 0.05, Reorder: 0.2, Seed: 42})
	const msgs, size = 300, 5000 // 4 fragments each at MTU 1400
	sent := make(map[string]bool, msgs)
	for i := range msgs {
		m := bytes.Repeat([]byte(fmt.Sprintf("%05d", i)), size/5)
		sent[string(m)] = true
		if err := a.Send(b.ID(), m, transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	seen := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for {
		timeouts := b.Stats().Drops[transport.DropReassemblyTimeout]
		if uint64(got)+timeouts == msgs {
			break
		}
		select {
		case ev := <-b.Events():
			if ev.Kind != transport.EventPayload {
				continue
			}
			if !sent[string(ev.Payload)] || seen[string(ev.Payload)] {
				t.Fatalf("corrupt or duplicate message of %d bytes", len(ev.Payload))
			}
			seen[string(ev.Payload)] = true
			got++
		case <-deadline:
			t.Fatalf("got %d + %d timed out != %d", got, timeouts, msgs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got == msgs || got < msgs/2 {
		t.Fatalf("%d of %d complete under 5%% loss: the lossy network did not bite or too much was lost", got, msgs)
	}
	t.Logf("%d complete, %d discarded, %d datagrams lost", got, msgs-got, net.Lost())
}

// TestCrossedDials: both sides dial each other at once; each ends with a
// working session and keeps rekeying.
func TestCrossedDials(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.RekeyAfterTime = 150 * time.Millisecond
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	errs := make(chan error, 2)
	for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
		go func() {
			_, err := d[0].Dial(t.Context(), d[1].LocalAddr().String(), d[1].ID())
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for i := 0; time.Since(start) < time.Second; i++ {
		for _, d := range [][2]*transport.Conn{{a, b}, {b, a}} {
			msg := []byte(fmt.Sprint(i))
			if err := d[0].Send(d[1].ID(), msg, transport.PriorityMessage); err != nil {
				t.Fatal(err)
			}
			if ev := nextEvent(t, d[1], transport.EventPayload); !bytes.Equal(ev.Payload, msg) {
				t.Fatalf("got %q, want %q", ev.Payload, msg)
			}
		}
	}
	sa, _ := a.PeerStats(b.ID())
	sb, _ := b.PeerStats(a.ID())
	if sa.Rekeys+sb.Rekeys < 4 {
		t.Fatalf("rekeys a=%d b=%d in 1s with RekeyAfterTime 150ms", sa.Rekeys, sb.Rekeys)
	}
}

// TestPeerDownMockClock drives keepalives and the peer-down timeout from a
// mock clock: while the mock advances with both peers alive, pings keep the
// session; once one closes, the other reports it down after the timeout.
func TestPeerDownMockClock(t *testing.T) {
	checkNoLeak(t)
	mock := clock.NewMock()
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.Clock = mock
	o.PeerDownTimeout = 500 * time.Millisecond
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	dial(t, a, b, peer.ID{})
	nextEvent(t, a, transport.EventPeerUp)
	recvd := func(c, from *transport.Conn) uint64 {
		st, _ := c.PeerStats(from.ID())
		return st.PacketsReceived
	}
	for range 40 { // 2 s of mock time, 4× the timeout
		ra, rb := recvd(a, b), recvd(b, a)
		mock.Add(50 * time.Millisecond)
		// Each step carries a keepalive both ways; wait for it in real time.
		testkit.Eventually(t, 5*time.Second, "keepalives", func() bool { return recvd(a, b) > ra && recvd(b, a) > rb })
	}
	if len(a.Peers()) != 1 || len(b.Peers()) != 1 {
		t.Fatalf("peers lost while alive: %d %d", len(a.Peers()), len(b.Peers()))
	}
	b.Close()
	for range 20 {
		mock.Add(50 * time.Millisecond)
	}
	if ev := nextEvent(t, a, transport.EventPeerDown); ev.Peer != b.ID() {
		t.Fatalf("down: %v", ev.Peer)
	}
}

// TestPacingBacksOffUnderLoss: receiver reports reveal the loss of a lossy
// link and the sender's rate falls from where it started; on a clean link
// it climbs.
func TestPacingBacksOffUnderLoss(t *testing.T) {
	tests := []struct {
		name string
		loss float64
		down bool
	}{
		{"clean link climbs", 0, false},
		{"lossy link backs off", 0.2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := bindtest.NewNetwork()
			o := fastOpts()
			o.InitialRate = 8 << 20
			o.PeerDownTimeout = time.Minute
			a := memConn(t, net, 1, o)
			b := memConn(t, net, 2, o)
			dial(t, a, b, peer.ID{})
			net.SetConditions(bindtest.Conditions{Loss: tt.loss, Seed: 7})
			go func() { // drain b
				for range b.Events() {
				}
			}()
			msg := make([]byte, 1000)
			testkit.Eventually(t, 5*time.Second, "rate change", func() bool {
				for range 50 {
					_ = a.Send(b.ID(), msg, transport.PriorityMessage)
				}
				st, _ := a.PeerStats(b.ID())
				if tt.down {
					return st.SendRate < float64(o.InitialRate)/2 && st.Loss > 0.05
				}
				return st.SendRate > 2*float64(o.InitialRate) && st.Loss == 0
			})
		})
	}
}

// A receiver whose Events channel stays full reports the packets it had to
// shed as lost, so the sender's pacing backs off: backpressure reaches the
// sender instead of the receiver shedding its traffic for ever.
func TestPacingBacksOffForOverloadedReceiver(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.InitialRate = 8 << 20
	o.PeerDownTimeout = time.Minute
	ob := o
	ob.EventQueue = 8 // and nobody reads b's events
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, ob)
	dial(t, a, b, peer.ID{})
	msg := make([]byte, 1000)
	testkit.Eventually(t, 5*time.Second, "sender backs off", func() bool {
		for range 50 {
			_ = a.Send(b.ID(), msg, transport.PriorityMessage)
		}
		st, _ := a.PeerStats(b.ID())
		return st.SendRate < float64(o.InitialRate)/2 && st.Loss > 0.05
	})
	if d := b.Stats().Drops; d[transport.DropEventQueueFull]+d[transport.DropEventPeerShare] == 0 {
		t.Fatal("no event-queue-full drops counted at the receiver")
	}
}
