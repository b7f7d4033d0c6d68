package transport_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// Handshake, partial messages, disconnect, again and again (what an
// attacker with disconnect-on-ban can loop): the reassembly budget returns
// to zero every time.
func TestReassemblyBudgetExactAfterDisconnectLoop(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.PeerDownTimeout = time.Minute
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	big := make([]byte, 20*1400)
	for round := range 15 {
		dial(t, a, b, peer.ID{})
		testkit.Eventually(t, 5*time.Second, "b has the session", func() bool { return len(b.Peers()) == 1 })
		net.SetConditions(bindtest.Conditions{Loss: 0.3, Seed: uint64(round)})
		for range 4 {
			_ = a.Send(b.ID(), big, transport.PriorityMessage)
		}
		testkit.Eventually(t, 5*time.Second, "b holds partial messages", func() bool { return transport.ReassemblyBytes(b) > 0 })
		net.SetConditions(bindtest.Conditions{})
		if err := b.Disconnect(a.ID()); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 5*time.Second, "a sees the bye", func() bool { return len(a.Peers()) == 0 })
		if got := transport.ReassemblyBytes(b); got != 0 {
			t.Fatalf("round %d: %d bytes charged after Disconnect", round, got)
		}
	}
}

// No handshake packet the responder sends is larger than the msg1 that
// made it send it (msg2 of either pattern, or a cookie reply under load),
// so a spoofed source gets no amplification.
func TestNoAmplification(t *testing.T) {
	for _, tt := range []struct {
		name       string
		networkKey []byte
		cookieLoad int
	}{
		{"plain", nil, 0},
		{"network key", key(3), 0},
		{"under load", nil, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			net := bindtest.NewNetwork()
			o := fastOpts()
			o.NetworkKey = tt.networkKey
			ob := o
			ob.CookieLoad = tt.cookieLoad
			a := memConn(t, net, 1, o)
			b := memConn(t, net, 2, ob)
			var mu sync.Mutex
			minInit := map[byte]int{} // by pattern
			var replies [][]byte
			net.SetTap(func(from, _ netip.AddrPort, pkt []byte) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case from == a.LocalAddr() && pkt[0] == 1:
					if n, ok := minInit[pkt[1]]; !ok || len(pkt) < n {
						minInit[pkt[1]] = len(pkt)
					}
				case from == b.LocalAddr() && (pkt[0] == 2 || pkt[0] == 4):
					replies = append(replies, pkt)
				}
			})
			dial(t, a, b, peer.ID{}) // XX
			dial(t, a, b, b.ID())    // IK: b's key is known now
			testkit.Eventually(t, 5*time.Second, "b completes the IK handshake", func() bool { return b.Stats().HandshakesIK > 0 })
			mu.Lock()
			defer mu.Unlock()
			if len(minInit) != 2 {
				t.Fatalf("msg1 patterns seen: %v", minInit)
			}
			for _, r := range replies {
				limit := min(minInit[1], minInit[2]) // a cookie reply answers either pattern
				if r[0] == 2 {
					limit = minInit[r[1]]
				}
				if len(r) > limit {
					t.Fatalf("reply type %d pattern %d of %d bytes to a msg1 of %d", r[0], r[1], len(r), limit)
				}
			}
		})
	}
}

// One peer flooding a receiver that does not keep up cannot take the whole
// Events queue: a payload from another peer still gets in.
func TestEventQueuePerPeerShare(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.PeerDownTimeout = time.Minute
	flooder := memConn(t, net, 1, o)
	other := memConn(t, net, 2, o)
	b := memConn(t, net, 3, o) // nobody reads b's events for now
	dial(t, flooder, b, peer.ID{})
	dial(t, other, b, peer.ID{})
	testkit.Eventually(t, 5*time.Second, "b has both sessions", func() bool { return len(b.Peers()) == 2 })
	const n = 5000
	for i := range n {
		if err := flooder.Send(b.ID(), []byte{byte(i)}, transport.PriorityMessage); err != nil {
			t.Fatal(err)
		}
	}
	// More were dropped than the queue's whole count could hold back.
	testkit.Eventually(t, 5*time.Second, "the flood is shed", func() bool {
		d := b.Stats().Drops
		return d[transport.DropEventQueueFull]+d[transport.DropEventPeerShare] >= n-4096
	})
	sentBefore := peerStats(t, other, b.ID()).PacketsSent
	if err := other.Send(b.ID(), []byte("hello"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	var sent uint64
	testkit.Eventually(t, 5*time.Second, "hello sent", func() bool {
		sent = peerStats(t, other, b.ID()).PacketsSent
		return sent > sentBefore
	})
	// The reader is done with hello's packet once it took a later one (a
	// keepalive): only then may reading b's events make room.
	testkit.Eventually(t, 5*time.Second, "b read past hello", func() bool {
		return peerStats(t, b, other.ID()).PacketsReceived > sent
	})
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-b.Events():
			if ev.Kind == transport.EventPayload && ev.Peer == other.ID() {
				if string(ev.Payload) != "hello" {
					t.Fatalf("got %q", ev.Payload)
				}
				return
			}
		case <-deadline:
			t.Fatal("the other peer's payload was dropped")
		}
	}
}

func peerStats(t testing.TB, c *transport.Conn, id peer.ID) transport.PeerStats {
	t.Helper()
	s, ok := c.PeerStats(id)
	if !ok {
		t.Fatalf("no session with %s", id.Short())
	}
	return s
}
