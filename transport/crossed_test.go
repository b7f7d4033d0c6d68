package transport_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
// shows as seconds against milliseconds). Each side records the
// timestamps of the other's msg2 too: a msg2 answered while an initiation
// of its own was being built must not carry a newer timestamp than that
// initiation's msg1, which the peer would then drop as stale.
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
