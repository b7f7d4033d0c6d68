package mesh

import "time"

// Seen is the seen-message cache (gossipsub-v1.0.md "seen"): a bounded set
// of message ids, each remembered for at least TTL. Ids are grouped into
// time buckets of one granularity (the heartbeat interval); Expire drops
// whole buckets, so expiry costs one map delete per id and no timers.
// When the set holds Max ids, Add first evicts the oldest bucket (counted
// in Evicted). The zero value is unusable; use NewSeen. Not safe for
// concurrent use.
type Seen struct {
	ttl, gran time.Duration
	max       int
	ids       map[string]struct{}
	buckets   []seenBucket // oldest first
	free      [][]string   // emptied bucket slices, for reuse
	evicted   uint64
}

type seenBucket struct {
	start time.Time
	ids   []string
}

// NewSeen returns a Seen remembering ids for ttl, bucketed by gran (> 0),
// holding at most max ids (max ≤ 0: unbounded).
func NewSeen(ttl, gran time.Duration, max int) *Seen {
	if gran <= 0 {
		gran = time.Second
	}
	return &Seen{ttl: ttl, gran: gran, max: max, ids: make(map[string]struct{})}
}

// Has reports whether id is in the set.
func (s *Seen) Has(id string) bool {
	_, ok := s.ids[id]
	return ok
}

// HasBytes reports whether the id spelled by b is in the set, without
// allocating.
func (s *Seen) HasBytes(b []byte) bool {
	_, ok := s.ids[string(b)]
	return ok
}

// Add inserts id at now and reports whether it was absent. The set keeps
// id.
func (s *Seen) Add(id string, now time.Time) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.AddNew(id, now)
	return true
}

// AddNew inserts id at now; the caller knows id is absent (it just
// checked with Has or HasBytes), which saves a lookup.
func (s *Seen) AddNew(id string, now time.Time) {
	if s.max > 0 && len(s.ids) >= s.max {
		s.evictOldest()
	}
	n := len(s.buckets)
	if n == 0 || now.Sub(s.buckets[n-1].start) >= s.gran {
		var ids []string
		if k := len(s.free); k > 0 {
			ids, s.free = s.free[k-1], s.free[:k-1]
		}
		s.buckets = append(s.buckets, seenBucket{start: now, ids: ids})
		n++
	}
	b := &s.buckets[n-1]
	b.ids = append(b.ids, id)
	s.ids[id] = struct{}{}
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
	for _, id := range b.ids {
		delete(s.ids, id)
	}
	clear(b.ids)
	s.free = append(s.free, b.ids[:0])
	s.buckets[0] = seenBucket{}
	s.buckets = s.buckets[1:]
}

// Len returns the number of ids held.
func (s *Seen) Len() int { return len(s.ids) }

// Evicted returns how many ids were forgotten early because the set was
// full.
func (s *Seen) Evicted() uint64 { return s.evicted }
