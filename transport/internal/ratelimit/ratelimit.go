// Package ratelimit is a token bucket per source IP for handshake packets:
// the "classical IP rate limiting" that the WireGuard paper (Donenfeld,
// "WireGuard: Next Generation Kernel Network Tunnel", NDSS 2017, §5.3) pairs
// with cookies, which prove the source address under load. wireguard-go's
// ratelimiter package does the same at 20 packets a second, burst 5. It is
// for package transport only.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter holds one token bucket per address. Its table is bounded: when
// full, unknown addresses are refused until GC frees entries. All methods
// are safe for concurrent use.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter that grants rate tokens per second to each address,
// holds at most burst of them, and tracks at most max addresses.
func New(rate float64, burst, max int) *Limiter {
	return &Limiter{rate: rate, burst: float64(burst), max: max, buckets: map[netip.Addr]*bucket{}}
}

// Allow takes one token for addr and reports whether there was one.
func (r *Limiter) Allow(addr netip.Addr, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[addr]
	if b == nil {
		if len(r.buckets) >= r.max {
			return false
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[addr] = b
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// GC forgets the buckets that have refilled completely.
func (r *Limiter) GC(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, a)
		}
	}
}
