package transport_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// identity returns a deterministic identity for test node n.
func identity(t testing.TB, n int) *peer.Identity {
	t.Helper()
	return testkit.Identity(t, fmt.Sprintf("node-%d", n))
}

// fastOpts are Options with timers short enough for tests.
func fastOpts() transport.Options {
	return transport.Options{
		KeepaliveInterval: 50 * time.Millisecond,
		PeerDownTimeout:   time.Second,
		HandshakeRetry:    100 * time.Millisecond,
		ReportInterval:    20 * time.Millisecond,
		TickInterval:      5 * time.Millisecond,
	}
}

// memConn listens on a fresh in-memory socket of net.
func memConn(t testing.TB, net *bindtest.Network, n int, o transport.Options) *transport.Conn {
	t.Helper()
	o.Socket = net.Listen()
	c, err := transport.Listen("", identity(t, n), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dial(t testing.TB, a, b *transport.Conn, expect peer.ID) peer.ID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := a.Dial(ctx, b.LocalAddr().String(), expect)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return id
}

// nextEvent waits for an event of kind k from c, skipping others.
func nextEvent(t testing.TB, c *transport.Conn, k transport.EventKind) transport.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if ev.Kind == k {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event", k)
		}
	}
}

// checkNoLeak fails if goroutines started by the test outlive it.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				var ours []string
				for _, g := range strings.Split(string(buf), "\n\n") {
					if strings.Contains(g, "gwyh/transport") {
						ours = append(ours, g)
					}
				}
				t.Fatalf("%d goroutines, %d before:\n%s", n, before, strings.Join(ours, "\n\n"))
			}
			time.Sleep(time.Millisecond)
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
