package transport_test

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

func TestDisconnect(t *testing.T) {
	tests := []struct {
		name string
		// byeLost: the network loses everything from the Disconnect on, so
		// the remote side only learns of it by its timeout.
		byeLost bool
		// queued payloads waiting at the disconnecting side (the pacer is
		// slowed so they stay queued).
		queued int
	}{
		{name: "bye delivered"},
		{name: "bye delivered, queue dropped", queued: 200}, // 200 KB: past the pacer's 96 KiB initial burst
		{name: "bye lost", byeLost: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeak(t)
			net := bindtest.NewNetwork()
			o := fastOpts()
			o.PeerDownTimeout = time.Minute // only a bye can end the session in time
			slow := o
			if tt.queued > 0 {
				slow.InitialRate, slow.RateFloor, slow.RateCeiling = 2000, 2000, 2000
			}
			a := memConn(t, net, 1, slow)
			b := memConn(t, net, 2, o)
			dial(t, a, b, peer.ID{})
			nextEvent(t, a, transport.EventPeerUp)
			nextEvent(t, b, transport.EventPeerUp)
			for range tt.queued {
				if err := a.Send(b.ID(), make([]byte, 1000), transport.PriorityMessage); err != nil {
					t.Fatal(err)
				}
			}
			if st, _ := a.PeerStats(b.ID()); tt.queued > 0 && st.QueuedBytes == 0 {
				t.Fatal("nothing queued: the pacer let everything out")
			}
			if tt.byeLost {
				net.SetConditions(bindtest.Conditions{Loss: 1})
			}
			if err := a.Disconnect(b.ID()); err != nil {
				t.Fatal(err)
			}
			if ev := nextEvent(t, a, transport.EventPeerDown); ev.Peer != b.ID() {
				t.Fatalf("local down for %v", ev.Peer)
			}
			if len(a.Peers()) != 0 {
				t.Fatalf("a still has peers %v", a.Peers())
			}
			if err := a.Send(b.ID(), []byte("x"), transport.PriorityMessage); !errorsIs(err, transport.ErrUnknownPeer) {
				t.Fatalf("Send after Disconnect: %v", err)
			}
			if err := a.Disconnect(b.ID()); !errorsIs(err, transport.ErrUnknownPeer) {
				t.Fatalf("second Disconnect: %v", err)
			}
			st := a.Stats()
			if st.Disconnects != 1 {
				t.Fatalf("Disconnects = %d", st.Disconnects)
			}
			if tt.queued > 0 && st.Drops[transport.DropPeerDown] == 0 {
				t.Fatalf("queued payloads not counted: %v", st.Drops)
			}
			if tt.byeLost {
				if len(b.Peers()) != 1 || b.Stats().Byes != 0 {
					t.Fatalf("b lost the session without a bye: %v", b.Peers())
				}
				net.SetConditions(bindtest.Conditions{})
			} else {
				if ev := nextEvent(t, b, transport.EventPeerDown); ev.Peer != a.ID() {
					t.Fatalf("remote down for %v", ev.Peer)
				}
				if got := b.Stats().Byes; got != 1 {
					t.Fatalf("Byes = %d", got)
				}
			}
			// A later Dial brings the peer back on both sides.
			dial(t, a, b, b.ID())
			nextEvent(t, a, transport.EventPeerUp)
			if err := a.Send(b.ID(), []byte("again"), transport.PriorityControl); err != nil {
				t.Fatal(err)
			}
			if ev := nextEvent(t, b, transport.EventPayload); string(ev.Payload) != "again" {
				t.Fatalf("payload %q", ev.Payload)
			}
		})
	}
}

func TestDisconnectErrors(t *testing.T) {
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	if err := a.Disconnect(identity(t, 9).ID()); !errorsIs(err, transport.ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	a.Close()
	if err := a.Disconnect(identity(t, 9).ID()); !errorsIs(err, transport.ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

// A Disconnect waiting for room on a full Events channel returns when the
// Conn closes, and Close does not race with it.
func TestDisconnectBlockedUntilClose(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.EventQueue = 1
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, fastOpts())
	dial(t, a, b, peer.ID{})
	testkit.Eventually(t, 5*time.Second, "a's EventPeerUp fills its queue", func() bool { return len(a.Events()) == 1 })
	done := make(chan error, 1)
	go func() { done <- a.Disconnect(b.ID()) }()
	testkit.Eventually(t, 5*time.Second, "session removed", func() bool { return len(a.Peers()) == 0 })
	select {
	case err := <-done:
		t.Fatalf("Disconnect returned %v with the Events channel full", err)
	default:
	}
	a.Close()
	if err := <-done; err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
}
