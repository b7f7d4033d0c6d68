package transport

import (
	"net/netip"

	"github.com/gwyh/gwyh/transport/internal/ratelimit"
)

// halfOpens lists the responder XX handshakes waiting for msg3 (the entries
// of Conn.pending with initiator false), oldest first, and counts them per
// source (IPv4 address, IPv6 /64: ratelimit.Source). Both caps evict
// rather than refuse: a source at Options.MaxHalfOpenPerSource loses its
// oldest, and a full table (Options.MaxHalfOpen) loses the oldest of all,
// so that a few sources initiating fast can neither fill the table for
// everyone nor keep a retrying peer out. Guarded by Conn.mu.
type halfOpens struct {
	head, tail *handshake
	n          int
	perSource  map[netip.Addr]int
}

func (t *halfOpens) len() int { return t.n }

func (t *halfOpens) count(src netip.Addr) int { return t.perSource[src] }

// add appends hs, whose source is set, as the newest.
func (t *halfOpens) add(hs *handshake) {
	if t.perSource == nil {
		t.perSource = map[netip.Addr]int{}
	}
	hs.hoPrev, hs.hoNext = t.tail, nil
	if t.tail != nil {
		t.tail.hoNext = hs
	} else {
		t.head = hs
	}
	t.tail = hs
	t.n++
	t.perSource[hs.source]++
}

// remove takes hs out; hs must be in the table.
func (t *halfOpens) remove(hs *handshake) {
	if hs.hoPrev != nil {
		hs.hoPrev.hoNext = hs.hoNext
	} else {
		t.head = hs.hoNext
	}
	if hs.hoNext != nil {
		hs.hoNext.hoPrev = hs.hoPrev
	} else {
		t.tail = hs.hoPrev
	}
	hs.hoPrev, hs.hoNext = nil, nil
	t.n--
	if t.perSource[hs.source]--; t.perSource[hs.source] == 0 {
		delete(t.perSource, hs.source)
	}
}

// oldestFrom returns the oldest half-open from src, or nil. It walks from
// the oldest of all: at most MaxHalfOpen steps, small beside the DH work
// that precedes every call.
func (t *halfOpens) oldestFrom(src netip.Addr) *handshake {
	for hs := t.head; hs != nil; hs = hs.hoNext {
		if hs.source == src {
			return hs
		}
	}
	return nil
}

// makeRoomLocked evicts half-opens so that one more from src fits both
// caps, and counts each eviction. c.mu held.
func (c *Conn) makeRoomLocked(src netip.Addr) {
	if c.halfOpen.count(src) >= c.opts.MaxHalfOpenPerSource {
		c.dropPendingLocked(c.halfOpen.oldestFrom(src).local)
		c.stats.drop(DropHalfOpenEvicted)
	}
	if c.halfOpen.len() >= c.opts.MaxHalfOpen {
		c.dropPendingLocked(c.halfOpen.head.local)
		c.stats.drop(DropHalfOpenEvicted)
	}
}

// sourceOf is the key under which handshakes from addr are limited.
func sourceOf(addr netip.AddrPort) netip.Addr { return ratelimit.Source(addr.Addr()) }
