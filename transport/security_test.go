package transport_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

func key(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return k
}

func TestNetworkKey(t *testing.T) {
	tests := []struct {
		name   string
		ka, kb []byte
		ok     bool
	}{
		{"both none", nil, nil, true},
		{"same key", key(1), key(1), true},
		{"different keys", key(1), key(2), false},
		{"dialer without key", nil, key(2), false},
		{"listener without key", key(1), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeak(t)
			net := bindtest.NewNetwork()
			oa, ob := fastOpts(), fastOpts()
			oa.NetworkKey, ob.NetworkKey = tt.ka, tt.kb
			a := memConn(t, net, 1, oa)
			b := memConn(t, net, 2, ob)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := a.Dial(ctx, b.LocalAddr().String(), peer.ID{})
			if tt.ok != (err == nil) {
				t.Fatalf("Dial err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				if !errors.Is(err, transport.ErrHandshake) {
					t.Fatalf("err = %v, want ErrHandshake", err)
				}
				if d := b.Stats().Drops[transport.DropAuth]; d == 0 {
					t.Fatal("listener counted no auth drops")
				}
				if len(b.Peers()) != 0 || len(a.Peers()) != 0 {
					t.Fatal("a session exists")
				}
			}
			a.Close()
			b.Close()
		})
	}
}

// tapData records data packets sent from one address.
type tapData struct {
	mu   sync.Mutex
	from netip.AddrPort
	pkts [][]byte
}

func (d *tapData) tap(from, _ netip.AddrPort, pkt []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if from == d.from && len(pkt) > 0 && pkt[0] == 5 {
		d.pkts = append(d.pkts, pkt)
	}
}

func (d *tapData) last() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pkts[len(d.pkts)-1]
}

func TestReplayedAndForgedPackets(t *testing.T) {
	checkNoLeak(t)
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, fastOpts())
	tap := &tapData{from: a.LocalAddr()}
	net.SetTap(tap.tap)
	dial(t, a, b, peer.ID{})
	nextEvent(t, b, transport.EventPeerUp)
	if err := a.Send(b.ID(), []byte("once"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, b, transport.EventPayload)
	captured := tap.last()

	forged := append([]byte(nil), captured...)
	forged[len(forged)-1] ^= 1
	unknownIdx := append([]byte(nil), captured...)
	unknownIdx[4] ^= 0xff
	tests := []struct {
		name  string
		pkt   []byte
		cause transport.DropCause
	}{
		{"replay", captured, transport.DropReplay},
		{"forged tag", forged, transport.DropAuth},
		{"unknown session", unknownIdx, transport.DropUnknownSession},
		{"short", captured[:10], transport.DropShort},
		{"unknown type", []byte{77, 1, 2, 3}, transport.DropUnknownType},
		{"malformed handshake", append([]byte{1, 9, 0, 0}, make([]byte, 100)...), transport.DropMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.Stats().Drops[tt.cause]
			net.Inject(a.LocalAddr(), b.LocalAddr(), tt.pkt)
			testkit.Eventually(t, 5*time.Second, tt.cause.String()+" counted", func() bool { return b.Stats().Drops[tt.cause] > before })
		})
	}
	// None of it reached the user: the next payload event is a fresh one.
	if err := a.Send(b.ID(), []byte("twice"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, b, transport.EventPayload); string(ev.Payload) != "twice" {
		t.Fatalf("got %q", ev.Payload)
	}
}

func TestInjectWithoutNetworkKey(t *testing.T) {
	net := bindtest.NewNetwork()
	o := fastOpts()
	o.NetworkKey = key(7)
	a := memConn(t, net, 1, o)
	b := memConn(t, net, 2, o)
	tap := &tapData{from: a.LocalAddr()}
	net.SetTap(tap.tap)
	dial(t, a, b, peer.ID{})
	if err := a.Send(b.ID(), []byte("x"), transport.PriorityMessage); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, b, transport.EventPayload)
	// An outsider knows the session index and counter from the wire but not
	// the keys: it re-seals a packet with fresh counter and garbage body.
	pkt := append([]byte(nil), tap.last()...)
	pkt[8] += 100
	for i := 16; i < len(pkt); i++ {
		pkt[i] ^= 0x5a
	}
	before := b.Stats().Drops[transport.DropAuth]
	net.Inject(a.LocalAddr(), b.LocalAddr(), pkt)
	testkit.Eventually(t, 5*time.Second, "auth drop", func() bool { return b.Stats().Drops[transport.DropAuth] > before })
}

func TestStaleInitiationIgnored(t *testing.T) {
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, fastOpts())
	var mu sync.Mutex
	var inits [][]byte
	net.SetTap(func(from, _ netip.AddrPort, pkt []byte) {
		if from == a.LocalAddr() && pkt[0] == 1 && pkt[1] == 2 { // IK initiation
			mu.Lock()
			inits = append(inits, pkt)
			mu.Unlock()
		}
	})
	dial(t, a, b, peer.ID{})
	dial(t, a, b, b.ID()) // IK: carries a timestamp
	testkit.Eventually(t, 5*time.Second, "b completes the IK handshake", func() bool { return b.Stats().HandshakesIK == 1 })
	mu.Lock()
	replay := inits[len(inits)-1]
	mu.Unlock()
	before := b.Stats()
	net.Inject(a.LocalAddr(), b.LocalAddr(), replay)
	testkit.Eventually(t, 5*time.Second, "stale drop", func() bool {
		return b.Stats().Drops[transport.DropStaleHandshake] > before.Drops[transport.DropStaleHandshake]
	})
	if got := b.Stats().HandshakesIK; got != before.HandshakesIK {
		t.Fatalf("replayed initiation completed a handshake: %d -> %d", before.HandshakesIK, got)
	}
}

func TestCookieUnderLoad(t *testing.T) {
	net := bindtest.NewNetwork()
	ob := fastOpts()
	ob.CookieLoad = -1 // always under load
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, ob)
	if got := dial(t, a, b, peer.ID{}); got != b.ID() {
		t.Fatalf("dial = %v", got)
	}
	s := b.Stats()
	if s.CookiesSent == 0 || s.Drops[transport.DropCookieRequired] == 0 {
		t.Fatalf("no cookie round trip: %+v", s)
	}
	testkit.Eventually(t, 5*time.Second, "b completes the handshake", func() bool { return b.Stats().HandshakesXX == 1 })
}

func TestHandshakeRateLimit(t *testing.T) {
	net := bindtest.NewNetwork()
	ob := fastOpts()
	ob.HandshakeRate, ob.HandshakeBurst = 0.001, 1
	ob.CookieLoad = -1 // the limit applies under load only, after the cookie
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, ob)
	c := memConn(t, net, 3, fastOpts()) // same IP in the in-memory network
	dial(t, a, b, peer.ID{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Dial(ctx, b.LocalAddr().String(), peer.ID{}); err == nil {
		t.Fatal("second handshake from the same IP got through the limiter")
	}
	if b.Stats().Drops[transport.DropRateLimited] == 0 {
		t.Fatal("no rate-limited drops counted")
	}
}

func TestDialExpectMismatch(t *testing.T) {
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, fastOpts())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := a.Dial(ctx, b.LocalAddr().String(), identity(t, 3).ID())
	if !errors.Is(err, transport.ErrPeerMismatch) {
		t.Fatalf("err = %v, want ErrPeerMismatch", err)
	}
	if len(a.Peers()) != 0 {
		t.Fatal("mismatched peer was installed")
	}
}

func TestCookieUnderInitiationRate(t *testing.T) {
	net := bindtest.NewNetwork()
	ob := fastOpts()
	ob.CookieRate = 1 // the first initiation drains the bucket
	a := memConn(t, net, 1, fastOpts())
	b := memConn(t, net, 2, ob)
	c := memConn(t, net, 3, fastOpts())
	dial(t, a, b, peer.ID{})
	if got := dial(t, c, b, peer.ID{}); got != b.ID() {
		t.Fatalf("dial = %v", got)
	}
	if b.Stats().CookiesSent == 0 {
		t.Fatal("no cookie demanded above CookieRate")
	}
}
