// Package ratelimit is a token bucket per source for handshake packets: the
// "classical IP rate limiting" that the WireGuard paper (Donenfeld,
// "WireGuard: Next Generation Kernel Network Tunnel", NDSS 2017, §5.3) pairs
// with cookies, which prove the source address under load. Like
// wireguard-go's ratelimiter package (20 packets a second, burst 5) it keys
// IPv4 sources by address and IPv6 sources by /64, since one host commonly
// holds a whole /64. It is for package transport only.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Source returns the key addr is limited under: the address itself for IPv4
// (and IPv4-mapped IPv6), its /64 prefix for IPv6.
func Source(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	if addr.Is4() {
		return addr
	}
	p, _ := addr.WithZone("").Prefix(64)
	return p.Addr()
}

// Limiter holds one token bucket per source (see Source). Its table is
// bounded: when full, the least recently used source is forgotten to make
// room, so a new source is never refused for want of room (a forgotten
// source starts again with a full bucket). All methods are safe for
// concurrent use.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets *simplelru.LRU[netip.Addr, *bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter that grants rate tokens per second to each source,
// holds at most burst of them, and tracks at most max sources (max ≥ 1).
func New(rate float64, burst, max int) *Limiter {
	l, err := simplelru.NewLRU[netip.Addr, *bucket](max, nil)
	if err != nil {
		panic(err) // max < 1: a bug in the caller
	}
	return &Limiter{rate: rate, burst: float64(burst), buckets: l}
}

// Allow takes one token for addr's source and reports whether there was one.
func (r *Limiter) Allow(addr netip.Addr, now time.Time) bool {
	key := Source(addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets.Get(key)
	if !ok {
		b = &bucket{tokens: r.burst, last: now}
		r.buckets.Add(key, b) // evicts the least recently used when full
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
	for _, a := range r.buckets.Keys() {
		b, _ := r.buckets.Peek(a)
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			r.buckets.Remove(a)
		}
	}
}

// Len returns the number of sources tracked.
func (r *Limiter) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buckets.Len()
}
