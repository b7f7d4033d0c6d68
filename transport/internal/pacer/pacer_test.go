package pacer

import (
	"testing"
	"time"
)

func TestPacerAIMD(t *testing.T) {
	t0 := time.Unix(0, 0)
	tests := []struct {
		name   string
		losses []float64
		want   float64
	}{
		{"slow start doubles", []float64{0, 0, 0}, 8e6},
		{"clamped at ceiling", []float64{0, 0, 0, 0, 0, 0, 0, 0}, 100e6},
		{"loss cuts", []float64{0.1}, 0.75e6},
		{"additive after loss", []float64{0.1, 0}, 0.75e6 * 9 / 8},
		{"small loss tolerated", []float64{0.01}, 2e6},
		{"floor", []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, 0.5e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Rates{Initial: 1e6, Floor: 0.5e6, Ceiling: 100e6}, t0)
			for _, l := range tt.losses {
				p.OnLoss(l)
			}
			if d := p.rate - tt.want; d > 1 || d < -1 {
				t.Fatalf("rate %v, want %v", p.rate, tt.want)
			}
		})
	}
}

func TestPacerTokenBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := New(Rates{Initial: 1e6, Floor: 1e3, Ceiling: 1e9}, t0) // 1 MB/s, burst max(96 KiB, 4 KB)
	sent := 0
	for p.Allow(t0) {
		p.Spend(1400)
		sent += 1400
	}
	if sent < minBurstBytes || sent > minBurstBytes+1400 {
		t.Fatalf("burst of %d bytes", sent)
	}
	w := p.Wait()
	if w <= 0 || w > 2*time.Millisecond {
		t.Fatalf("wait %v after burst", w)
	}
	if !p.Allow(t0.Add(w)) {
		t.Fatal("not allowed after waiting")
	}
	// One second later the bucket holds at most one burst, not a second's worth.
	p.Allow(t0.Add(time.Second))
	if p.tokens > p.burst() {
		t.Fatalf("tokens %v above burst %v", p.tokens, p.burst())
	}
}
