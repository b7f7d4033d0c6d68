package mesh

import (
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Backoff records, per topic and peer, until when the peer must not be
// grafted (gossipsub-v1.1.md "Prune Backoff and Peer Exchange"). Entries
// stay after a peer disconnects, so reconnecting does not reset them, and
// are dropped by Expire. The zero value is unusable; use NewBackoff. Not
// safe for concurrent use.
type Backoff struct {
	m map[backoffKey]backoffSpan
}

// backoffSpan is when a backoff was last set and when it ends.
type backoffSpan struct {
	since, until time.Time
}

type backoffKey struct {
	topic string
	p     peer.ID
}

// NewBackoff returns an empty Backoff.
func NewBackoff() *Backoff { return &Backoff{m: make(map[backoffKey]backoffSpan)} }

// Set records at now that p is backed off in topic until until. A later
// end already recorded is kept, but the time of setting moves to now.
func (b *Backoff) Set(topic string, p peer.ID, now, until time.Time) {
	k := backoffKey{topic, p}
	if cur, ok := b.m[k]; ok && cur.until.After(until) {
		until = cur.until
	}
	b.m[k] = backoffSpan{since: now, until: until}
}

// Until returns the end of p's backoff in topic; ok is false when none is
// recorded.
func (b *Backoff) Until(topic string, p peer.ID) (until time.Time, ok bool) {
	s, ok := b.m[backoffKey{topic, p}]
	return s.until, ok
}

// Since returns when p's backoff in topic was last set (a PRUNE sent or
// received); ok is false when none is recorded.
func (b *Backoff) Since(topic string, p peer.ID) (since time.Time, ok bool) {
	s, ok := b.m[backoffKey{topic, p}]
	return s.since, ok
}

// Active reports whether p is backed off in topic at now.
func (b *Backoff) Active(topic string, p peer.ID, now time.Time) bool {
	s, ok := b.m[backoffKey{topic, p}]
	return ok && now.Before(s.until)
}

// Blocks reports whether p may not yet be grafted in topic at now: now is
// before the end of p's backoff plus slack. The grafting side waits out this slack because
// the peer that received our PRUNE started its own backoff later, by the
// link's latency, and judges a GRAFT against that (gossipsub-v1.1.md:
// "wait for the backoff to expire plus some slack").
func (b *Backoff) Blocks(topic string, p peer.ID, now time.Time, slack time.Duration) bool {
	s, ok := b.m[backoffKey{topic, p}]
	return ok && now.Before(s.until.Add(slack))
}

// Expire drops the backoffs that ended at or before now - slack. The slack
// keeps an entry a little past its end, so that a GRAFT arriving right at
// the edge is still judged against it.
func (b *Backoff) Expire(now time.Time, slack time.Duration) {
	cut := now.Add(-slack)
	for k, s := range b.m {
		if !s.until.After(cut) {
			delete(b.m, k)
		}
	}
}

// Len returns the number of backoffs recorded.
func (b *Backoff) Len() int { return len(b.m) }
