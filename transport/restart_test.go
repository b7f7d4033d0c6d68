package transport_test

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// A restarted peer (new process, same identity) is reported as down then
// up at once; a rekey of the same instance is not reported at all.
func TestRestartReportedRekeyNot(t *testing.T) {
	tests := []struct {
		name    string
		restart bool
	}{
		{name: "restart", restart: true},
		{name: "rekey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeak(t)
			net := bindtest.NewNetwork()
			o := fastOpts()
			o.PeerDownTimeout = time.Minute // a timeout cannot explain a down event
			o.RekeyAfterTime = 50 * time.Millisecond
			a := memConn(t, net, 1, o)
			b := memConn(t, net, 2, o)
			dial(t, b, a, peer.ID{})
			if ev := nextEvent(t, a, transport.EventPeerUp); ev.Peer != b.ID() {
				t.Fatalf("up %v", ev.Peer)
			}
			if tt.restart {
				b.Close()
				b2 := memConn(t, net, 2, o)
				dial(t, b2, a, a.ID())
			} else {
				testkit.Eventually(t, 5*time.Second, "rekeys", func() bool {
					st, ok := a.PeerStats(b.ID())
					return ok && st.Rekeys >= 3
				})
			}
			var kinds []transport.EventKind
			drain := func() {
				for {
					select {
					case ev := <-a.Events():
						if ev.Kind != transport.EventPayload {
							kinds = append(kinds, ev.Kind)
						}
					default:
						return
					}
				}
			}
			if tt.restart {
				testkit.Eventually(t, 5*time.Second, "down and up", func() bool { drain(); return len(kinds) >= 2 })
				if kinds[0] != transport.EventPeerDown || kinds[1] != transport.EventPeerUp {
					t.Fatalf("events %v, want peer-down then peer-up", kinds)
				}
				if got := a.Stats().Restarts; got != 1 {
					t.Fatalf("Restarts = %d", got)
				}
				if len(a.Peers()) != 1 {
					t.Fatalf("peers %v", a.Peers())
				}
				return
			}
			drain()
			if len(kinds) != 0 || a.Stats().Restarts != 0 {
				t.Fatalf("rekeys reported: events %v, Restarts %d", kinds, a.Stats().Restarts)
			}
		})
	}
}
