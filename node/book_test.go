package node

import (
	"net/netip"
	"testing"
	"time"
)

// A peer whose sessions keep ending at once is redialled with a growing
// backoff; one that stayed up long is redialled after DialBackoff.
func TestBookBackoffOnShortSessions(t *testing.T) {
	cfg := testConfig(t, 0).withDefaults()
	cfg.DialBackoff, cfg.MaxDialBackoff = time.Second, time.Minute
	id := testConfig(t, 1).Identity.ID()
	addr := netip.MustParseAddrPort("127.0.0.1:9")
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name     string
		lifetime []time.Duration // of successive sessions
		min, max time.Duration   // of the last wait before a redial
	}{
		{"one long session", []time.Duration{time.Minute}, time.Second, time.Second},
		{"one short session", []time.Duration{time.Millisecond}, 800 * time.Millisecond, 1200 * time.Millisecond},
		{"three short sessions", []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{"short ones then a long one", []time.Duration{time.Millisecond, time.Millisecond, time.Minute}, time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newAddrBook(cfg)
			now := t0
			var wait time.Duration
			for _, life := range tt.lifetime {
				b.connected(id, addr, now)
				now = now.Add(life)
				b.disconnected(id, now)
				e := b.byID[id]
				wait = e.nextTry.Sub(now)
				now = e.nextTry
			}
			if wait < tt.min || wait > tt.max {
				t.Fatalf("wait %v, want %v..%v", wait, tt.min, tt.max)
			}
		})
	}
}
