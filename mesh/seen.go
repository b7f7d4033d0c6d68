package mesh

import (
	"math/bits"
	"time"
)

// Seen is the seen-message cache (gossipsub-v1.0.md "seen"): a bounded set
// of message ids, each remembered for at least TTL. Ids are grouped into
// time buckets of one granularity (the heartbeat interval); Expire drops
// whole buckets, so expiry costs one map delete per id and no timers.
// When the set holds Max ids, Add first evicts the oldest bucket (counted
// in Evicted).
//
// The set holds 64-bit keyed fingerprints of the ids, not the ids, in an
// fpSet: no pointers for the garbage collector to scan, and a fraction of
// the size, which matters at the hundreds of thousands of ids a busy
// router keeps.
// Two distinct ids collide with probability 2⁻⁶⁴ per pair (a collision
// makes a new message look like a duplicate); the key comes from the
// caller's seeded randomness, so a remote peer cannot aim for a collision
// without knowing it. The zero value is unusable; use NewSeen. Not safe for
// concurrent use.
type Seen struct {
	ttl, gran time.Duration
	max       int
	k0, k1    uint64
	ids       fpSet
	buckets   []seenBucket // oldest first
	free      [][]uint64   // emptied bucket slices, for reuse
	evicted   uint64
}

type seenBucket struct {
	start time.Time
	ids   []uint64
}

// NewSeen returns a Seen remembering ids for ttl, bucketed by gran (> 0),
// holding at most max ids (max ≤ 0: unbounded), with fingerprints keyed by
// key (draw it from the router's seeded source).
func NewSeen(ttl, gran time.Duration, max int, key uint64) *Seen {
	if gran <= 0 {
		gran = time.Second
	}
	return &Seen{
		ttl: ttl, gran: gran, max: max,
		k0: key, k1: bits.RotateLeft64(key, 32) ^ 0x9e3779b97f4a7c15,
	}
}

// Has reports whether id is in the set.
func (s *Seen) Has(id string) bool {
	return s.ids.has(fingerprint(s.k0, s.k1, id))
}

// HasBytes reports whether the id spelled by b is in the set, without
// allocating.
func (s *Seen) HasBytes(b []byte) bool {
	return s.ids.has(fingerprint(s.k0, s.k1, b))
}

// Add inserts id at now and reports whether it was absent.
func (s *Seen) Add(id string, now time.Time) bool {
	f := fingerprint(s.k0, s.k1, id)
	if s.ids.has(f) {
		return false
	}
	s.add(f, now)
	return true
}

// Fingerprint returns the set's keyed 64-bit fingerprint of the id
// spelled by b, for HasFingerprint and AddNewFingerprint: a caller that
// checks an id and then adds it hashes it once, and may key its own
// per-message state by the same fingerprint (with the same 2⁻⁶⁴ chance
// of a collision per pair, and the same key a remote peer does not know).
func (s *Seen) Fingerprint(b []byte) uint64 { return fingerprint(s.k0, s.k1, b) }

// FingerprintString is Fingerprint of the id id.
func (s *Seen) FingerprintString(id string) uint64 { return fingerprint(s.k0, s.k1, id) }

// HasFingerprint reports whether the id of fingerprint f is in the set.
func (s *Seen) HasFingerprint(f uint64) bool { return s.ids.has(f) }

// AddNewFingerprint inserts the id of fingerprint f at now; the caller
// knows it is absent.
func (s *Seen) AddNewFingerprint(f uint64, now time.Time) { s.add(f, now) }

// AddNew inserts id at now; the caller knows id is absent (it just
// checked with Has or HasBytes), which saves a lookup.
func (s *Seen) AddNew(id string, now time.Time) {
	s.add(fingerprint(s.k0, s.k1, id), now)
}

func (s *Seen) add(f uint64, now time.Time) {
	if s.max > 0 && s.ids.len() >= s.max {
		s.evictOldest()
	}
	n := len(s.buckets)
	if n == 0 || now.Sub(s.buckets[n-1].start) >= s.gran {
		var ids []uint64
		if k := len(s.free); k > 0 {
			ids, s.free = s.free[k-1], s.free[:k-1]
		}
		s.buckets = append(s.buckets, seenBucket{start: now, ids: ids})
		n++
	}
	b := &s.buckets[n-1]
	b.ids = append(b.ids, f)
	s.ids.add(f)
}

// Expire forgets every bucket whose newest possible id is older than TTL
// at now.
func (s *Seen) Expire(now time.Time) {
	for len(s.buckets) > 0 && !now.Before(s.buckets[0].start.Add(s.gran+s.ttl)) {
		s.dropOldest()
	}
}

func (s *Seen) evictOldest() {
	if len(s.buckets) == 0 {
		return
	}
	s.evicted += uint64(len(s.buckets[0].ids))
	s.dropOldest()
}

func (s *Seen) dropOldest() {
	b := s.buckets[0]
	for _, f := range b.ids {
		s.ids.remove(f)
	}
	s.free = append(s.free, b.ids[:0])
	s.buckets[0] = seenBucket{}
	s.buckets = s.buckets[1:]
}

// Len returns the number of ids held.
func (s *Seen) Len() int { return s.ids.len() }

// Evicted returns how many ids were forgotten early because the set was
// full.
func (s *Seen) Evicted() uint64 { return s.evicted }

// fingerprint is a keyed 64-bit hash of id: 8-byte words folded in with
// 64×64→128-bit multiplies (the wyhash construction), the length mixed in
// first and last.
func fingerprint[T string | []byte](k0, k1 uint64, id T) uint64 {
	h := k0 ^ uint64(len(id))*0xa0761d6478bd642f
	i := 0
	for ; i+8 <= len(id); i += 8 {
		h = mum(h^load8(id[i:i+8]), k1)
	}
	if i < len(id) {
		var w uint64
		for j := len(id) - 1; j >= i; j-- {
			w = w<<8 | uint64(id[j])
		}
		h = mum(h^w, k1^0xe7037ed1a0b428db)
	}
	return mum(h^uint64(len(id)), k0^0x8ebc6af09c88c6e3)
}

func load8[T string | []byte](b T) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// mum folds the 128-bit product of a and b.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
