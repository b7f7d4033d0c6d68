package transport

import (
	"net/netip"
	"sync"
	"time"
)

// rateLimiter is a token bucket per source IP for handshake packets
// (wireguard-go ratelimiter/ does the same at 20/s, burst 5). Its table is
// bounded: when full, unknown sources are refused until gc frees entries.
type rateLimiter struct {
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

func newRateLimiter(rate float64, burst, max int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), max: max, buckets: map[netip.Addr]*bucket{}}
}

// allow takes one token for addr and reports whether there was one.
func (r *rateLimiter) allow(addr netip.Addr, now time.Time) bool {
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

// gc forgets buckets that have refilled completely.
func (r *rateLimiter) gc(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, a)
		}
	}
}
