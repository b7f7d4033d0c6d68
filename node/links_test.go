package node

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// A session the peer opened does not become an outbound peer because the
// peer manager wants that ID: the node dials the address the manager
// names and links the peer as outbound only when that Dial returns its
// ID. Here a bare transport opens a session to the node, and a peer
// exchange record names it at an address where nobody answers: the dial
// fails and the peer is not linked. Offered at its real address, it is
// dialled (over the live session) and linked as outbound.
func TestPeerOpenedSessionNotOutbound(t *testing.T) {
	nw := bindtest.NewNetwork()
	cfg := testConfig(t, 0)
	cfg.socket = nw.Listen()
	cfg.DialTimeout = 300 * time.Millisecond
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b := bareDial(t, nw, a)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats := func() Stats { st, _ := a.Stats(); return st }
	testkit.Eventually(t, 5*time.Second, "the peer's session is up", func() bool { return stats().Sessions == 1 })

	offer := func(addr string) {
		if err := a.do(ctx, func(now time.Time) {
			a.pm.Offer(now, peering.Target{ID: b.ID(), Addr: addr}, peering.SourceExchange)
		}); err != nil {
			t.Fatal(err)
		}
	}
	nobody := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), 9)
	offer(nobody.String())
	testkit.Eventually(t, 5*time.Second, "the manager dials it", func() bool { return stats().Peering.DialsStarted >= 1 })
	if slices.Contains(a.Peers(), b.ID()) {
		t.Fatal("the peer's own session was linked as outbound without our dial")
	}
	testkit.Eventually(t, 5*time.Second, "the dial fails", func() bool { return stats().Peering.DialsFailed >= 1 })
	if slices.Contains(a.Peers(), b.ID()) {
		t.Fatal("linked after a failed dial")
	}

	offer(b.LocalAddr().String())
	testkit.Eventually(t, 5*time.Second, "dialled and linked", func() bool { return slices.Contains(a.Peers(), b.ID()) })
	st := stats()
	if len(st.Peers) != 1 || !st.Peers[0].Outbound {
		t.Fatalf("peers %+v, want the peer, outbound", st.Peers)
	}
}

// A Dial whose session already ended when its result reaches the loop is
// a failed dial: the node does not remember it as its own, so a session
// the peer opens later is not taken for ours (outbound).
func TestDialResultAfterSessionEnded(t *testing.T) {
	nw := bindtest.NewNetwork()
	cfg := testConfig(t, 0)
	cfg.socket = nw.Listen()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	gone := testkit.Identity(t, "gone-peer").ID()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		remembered bool
		failures   uint64
	)
	if err := a.do(ctx, func(now time.Time) {
		before := a.counts.dialFailures
		a.dialDone(now, dialPeer, peering.Target{ID: gone, Addr: "10.0.0.1:9"}, gone, nil)
		_, remembered = a.ourDial[gone]
		failures = a.counts.dialFailures - before
	}); err != nil {
		t.Fatal(err)
	}
	if remembered || failures != 1 {
		t.Fatalf("remembered our dial %v, failures %d; want false, 1", remembered, failures)
	}
}
