package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
)

// TestFiftyConnsLoopback runs 50 Conns on real UDP on 127.0.0.1, each
// dialing its next two in a ring, and sends a payload along every session
// in both directions.
func TestFiftyConnsLoopback(t *testing.T) {
	checkNoLeak(t)
	const n, fan = 50, 2
	// Default timers: 50 Conns under -race on a shared 2-core machine are
	// slow enough that handshakes take seconds; nothing here waits on timers.
	// A long retry keeps a CPU-starved run from piling up duplicate attempts.
	o := transport.Options{PeerDownTimeout: time.Minute, TickInterval: 20 * time.Millisecond, HandshakeRetry: 3 * time.Second}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	conns := make([]*transport.Conn, n)
	for i := range conns {
		c, err := transport.Listen("127.0.0.1:0", identity(t, i), o)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	errs := make(chan error, n*fan)
	for i, c := range conns {
		for k := 1; k <= fan; k++ {
			go func(c, to *transport.Conn) {
				_, err := c.Dial(ctx, to.LocalAddr().String(), to.ID())
				errs <- err
			}(c, conns[(i+k)%n])
		}
	}
	for range n * fan {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("dials done in %v", time.Since(start))
	testkit.Eventually(t, 30*time.Second, "every session up on both sides", func() bool {
		for _, c := range conns {
			if len(c.Peers()) != 2*fan {
				return false
			}
		}
		return true
	}, func() {
		for i, c := range conns {
			t.Logf("conn %d: %d peers, stats %+v", i, len(c.Peers()), c.Stats())
		}
	})
	var hs uint64
	for _, c := range conns {
		s := c.Stats()
		hs += s.HandshakesXX + s.HandshakesIK
	}
	t.Logf("%d handshakes completed (both roles) for %d sessions", hs, n*fan)
	want := make([]map[string]bool, n)
	for i := range conns {
		want[i] = map[string]bool{}
	}
	for i, c := range conns {
		for k := 1; k <= fan; k++ {
			j := (i + k) % n
			for _, d := range [][2]int{{i, j}, {j, i}} {
				msg := fmt.Sprintf("%d->%d", d[0], d[1])
				if err := conns[d[0]].Send(conns[d[1]].ID(), []byte(msg), transport.PriorityMessage); err != nil {
					t.Fatalf("%s: %v", msg, err)
				}
				want[d[1]][msg] = true
			}
		}
		_ = c
	}
	deadline := time.After(30 * time.Second)
	for i, c := range conns {
		for len(want[i]) > 0 {
			select {
			case ev := <-c.Events():
				if ev.Kind == transport.EventPayload {
					delete(want[i], string(ev.Payload))
				}
			case <-deadline:
				for m := range want[i] {
					var from int
					fmt.Sscanf(m, "%d->", &from)
					st1, ok1 := conns[from].PeerStats(c.ID())
					st2, ok2 := c.PeerStats(conns[from].ID())
					t.Logf("sender view %v %+v", ok1, st1)
					t.Logf("receiver view %v %+v", ok2, st2)
					t.Logf("sender stats %+v", conns[from].Stats())
					t.Logf("receiver stats %+v", c.Stats())
				}
				t.Fatalf("conn %d still waits for %v", i, want[i])
			}
		}
	}
	var peers int
	for _, c := range conns {
		peers += len(c.Peers())
	}
	if peers != n*fan*2 {
		t.Fatalf("%d sessions, want %d", peers, n*fan*2)
	}
}

func TestCloseIdempotentAndSendAfterClose(t *testing.T) {
	checkNoLeak(t)
	c, err := transport.Listen("127.0.0.1:0", identity(t, 1), transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.LocalAddr().Addr().IsLoopback() || c.LocalAddr().Port() == 0 {
		t.Fatalf("LocalAddr = %v", c.LocalAddr())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-c.Events(); ok {
		t.Fatal("events not closed")
	}
	if err := c.Send(peer.ID{1}, []byte("x"), transport.PriorityMessage); err != transport.ErrClosed {
		t.Fatalf("Send after Close = %v", err)
	}
	if _, err := c.Dial(t.Context(), "127.0.0.1:1", peer.ID{}); err != transport.ErrClosed {
		t.Fatalf("Dial after Close = %v", err)
	}
}

func TestSendErrors(t *testing.T) {
	o := transport.Options{MaxMessageSize: 1000, QueueBytes: 4000}
	c, err := transport.Listen("127.0.0.1:0", identity(t, 1), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send(peer.ID{1}, make([]byte, 1001), transport.PriorityMessage); !errorsIs(err, transport.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := c.Send(peer.ID{1}, []byte("x"), transport.PriorityMessage); !errorsIs(err, transport.ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    transport.Options
		ok   bool
	}{
		{"zero", transport.Options{}, true},
		{"short key", transport.Options{NetworkKey: []byte("short")}, false},
		{"tiny MTU", transport.Options{MTU: 100}, false},
		{"queue below message", transport.Options{MaxMessageSize: 1 << 20, QueueBytes: 1000}, false},
		{"floor above ceiling", transport.Options{RateFloor: 10, RateCeiling: 5, InitialRate: 7}, false},
		{"down before keepalive", transport.Options{KeepaliveInterval: time.Second, PeerDownTimeout: time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errorsIs(err, transport.ErrConfig) {
				t.Fatalf("err %v does not wrap ErrConfig", err)
			}
		})
	}
}

// Over real UDP, a session delivers the same payloads, in order, with UDP
// GSO and GRO on (where the kernel has them) and off: full datagrams,
// short ones and fragmented messages.
func TestOffloadLoopbackSameDelivery(t *testing.T) {
	checkNoLeak(t)
	for _, offload := range []bool{true, false} {
		t.Run(fmt.Sprint("offload=", offload), func(t *testing.T) {
			conn := func(n int) *transport.Conn {
				s, err := transport.ListenUDP("127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				if !offload {
					transport.DisableOffload(s)
				}
				o := transport.Options{PeerDownTimeout: time.Minute, Socket: s, CoalesceReceives: offload}
				c, err := transport.Listen("", identity(t, n), o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			a, b := conn(1), conn(2)
			dial(t, a, b, b.ID())
			sizes := []int{50, 1000, 1365, 3000, 1365, 1365, 7}
			var want [][]byte
			for i := range 280 {
				p := make([]byte, sizes[i%len(sizes)])
				for j := range p {
					p[j] = byte(i + j)
				}
				want = append(want, p)
				for a.Send(b.ID(), p, transport.PriorityMessage) != nil {
					runtime.Gosched() // queue full for a moment
				}
			}
			for i := range want {
				ev := nextEvent(t, b, transport.EventPayload)
				if !bytes.Equal(ev.Payload, want[i]) {
					t.Fatalf("payload %d: %d bytes, want %d", i, len(ev.Payload), len(want[i]))
				}
			}
			sa, sb := a.Stats(), b.Stats()
			if !offload && (sa.GSO || sb.GRO) || offload && sa.GSO != sb.GRO {
				t.Fatalf("offload %v: sender GSO %v, receiver GRO %v", offload, sa.GSO, sb.GRO)
			}
			t.Logf("GSO %v GRO %v; %d packets in %d reads", sa.GSO, sb.GRO, sb.PacketsIn, sb.ReadBatches)
		})
	}
}

// Sending and receiving allocate nothing per packet: over real UDP, a
// payload costs one allocation, the exact-size copy handed to Events
// (sent frames' buffers are recycled, the socket I/O allocates nothing).
func TestNoAllocationPerPacket(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	checkNoLeak(t)
	o := transport.Options{PeerDownTimeout: time.Minute}
	a, err := transport.Listen("127.0.0.1:0", identity(t, 1), o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := transport.Listen("127.0.0.1:0", identity(t, 2), o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dial(t, a, b, b.ID())
	payload := make([]byte, 1000) // one payload per packet
	const n = 2000
	run := func() {
		deadline := time.After(10 * time.Second)
		for i := 0; i < n; {
			for k := 0; k < 100; k++ {
				for a.Send(b.ID(), payload, transport.PriorityMessage) != nil {
					runtime.Gosched()
				}
				i++
			}
			for k := 0; k < 100; {
				select {
				case ev := <-b.Events():
					if ev.Kind == transport.EventPayload {
						k++
					}
				case <-deadline:
					t.Fatal("payloads lost")
				}
			}
		}
	}
	run() // warm up pools and buffers
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	per := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.3f allocations per payload", per)
	if per > 1.3 {
		t.Fatalf("%.2f allocations per payload, want about 1", per)
	}
}
