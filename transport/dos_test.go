package transport_test

import (
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
