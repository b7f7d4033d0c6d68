package transport_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

func TestDialXXThenIK(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, fastOpts())
	defer a.Close()
	defer b.Close()

	if got := dial(t, a, b, peer.ID{}); got != b.ID() {
		t.Fatalf("XX dial returned %v, want %v", got, b.ID())
	}
	if ev := nextEvent(t, a, transport.EventPeerUp); ev.Peer != b.ID() {
		t.Fatalf("a: peer up %v", ev.Peer)
	}
	if ev := nextEvent(t, b, transport.EventPeerUp); ev.Peer != a.ID() || ev.Addr != a.LocalAddr() {
		t.Fatalf("b: peer up %v at %v", ev.Peer, ev.Addr)
	}
	if s := a.Stats(); s.HandshakesXX != 1 || s.HandshakesIK != 0 {
		t.Fatalf("after XX: %+v", s)
	}
	// b's static key is now known to a: dialing with expect runs IK.
	if got := dial(t, a, b, b.ID()); got != b.ID() {
		t.Fatalf("IK dial returned %v", got)
	}
	if s := a.Stats(); s.HandshakesIK != 1 {
		t.Fatalf("after IK dial: HandshakesIK = %d", s.HandshakesIK)
	}
	for _, tc := range []struct {
		from, to *transport.Conn
		msg      []byte
	}{
		{a, b, []byte("hello b")},
		{b, a, []byte("hello a")},
		{a, b, bytes.Repeat([]byte("large "), 50000)},
	} {
		if err := tc.from.Send(tc.to.ID(), tc.msg, transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, tc.to, transport.EventPayload)
		if ev.Peer != tc.from.ID() || !bytes.Equal(ev.Payload, tc.msg) {
			t.Fatalf("got %d bytes from %v, want %d from %v", len(ev.Payload), ev.Peer, len(tc.msg), tc.from.ID())
		}
	}
}

// TestQueueFullDropsLowestPriority paces a peer to a crawl so its queue
// fills: gossip is refused first, and control still gets in by evicting it.
func TestQueueFullDropsLowestPriority(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.MaxMessageSize, o.QueueBytes = 1000, 4000
	o.RateFloor, o.InitialRate, o.RateCeiling = 100, 100, 100
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, fastOpts())
	dial(t, a, b, peer.ID{})
	msg := make([]byte, 500)
	// The pacer starts with a burst allowance (96 KiB) that the writer may
	// still be spending while the queue first looks full; once it is spent,
	// at 100 B/s the queue stays full.
	var err error
	testkit.Eventually(t, 5*time.Second, "gossip hits a full queue after the burst", func() bool {
		for i := 0; i < 1000; i++ {
			if err = a.Send(b.ID(), msg, transport.PriorityGossip); err != nil {
				break
			}
		}
		st, _ := a.PeerStats(b.ID())
		return errorsIs(err, transport.ErrQueueFull) && st.BytesSent >= 96<<10
	})
	if err := a.Send(b.ID(), msg, transport.PriorityControl); err != nil {
		t.Fatalf("control payload refused: %v", err)
	}
	st, _ := a.PeerStats(b.ID())
	if st.QueueDrops[transport.PriorityGossip] < 2 || st.QueueDrops[transport.PriorityControl] != 0 {
		t.Fatalf("queue drops %v", st.QueueDrops)
	}
	if st.QueuedBytes > o.QueueBytes {
		t.Fatalf("%d bytes queued > %d", st.QueuedBytes, o.QueueBytes)
	}
	if a.Stats().Drops[transport.DropQueueFull] < 2 {
		t.Fatalf("global queue-full drops %d", a.Stats().Drops[transport.DropQueueFull])
	}
}

func TestEventQueueOverflowCounted(t *testing.T) {
	net := bindtest.NewNetwork()
	ob := fastOpts()
	ob.EventQueue = 4
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, ob)
	dial(t, a, b, peer.ID{})
	testkit.Eventually(t, 5*time.Second, "b has the session", func() bool { return len(b.Peers()) == 1 })
	for i := range 100 {
		if err := a.Send(b.ID(), []byte{byte(i)}, transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
	}
	// One slot holds EventPeerUp, and a lone peer may hold half the
	// slots: one payload gets in, the rest are dropped.
	testkit.Eventually(t, 5*time.Second, "99 drops", func() bool {
		d := b.Stats().Drops
		return d[transport.DropEventQueueFull]+d[transport.DropEventPeerShare] == 99
	})
	if ev := nextEvent(t, b, transport.EventPeerUp); ev.Peer != a.ID() {
		t.Fatal("peer up lost")
	}
	for i := range 1 {
		if ev := nextEvent(t, b, transport.EventPayload); ev.Payload[0] != byte(i) {
			t.Fatalf("payload %d = %d", i, ev.Payload[0])
		}
	}
}

// A Conn reserves no memory by count: the Events queue and the writer's
// packet buffers grow with use, so an idle Conn costs little more than
// its reader's buffers (64 × 2 KiB) and handshake queue, not the 4096
// events of its default EventQueue bound (about 570 KB with their
// accounting) nor a full batch of MTU-sized packets (90 KB).
func TestIdleConnMemory(t *testing.T) {
	checkNoLeak(t)
	sock := bindtest.NewNetwork().Listen()
	id := identity(t, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := transport.Listen("", id, transport.Options{Socket: sock})
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // its goroutines, and what they allocated on start, are done
	runtime.ReadMemStats(&after)
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("an idle Conn allocated %d KB", grew>>10)
	if grew > 320<<10 {
		t.Fatalf("an idle Conn allocated %d KB", grew>>10)
	}
}
