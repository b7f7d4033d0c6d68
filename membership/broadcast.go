package membership

import (
	"math"
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// The broadcast queue (SWIM §4.1 "infection-style dissemination";
// memberlist's TransmitLimitedQueue): at most one pending update per
// member, each sent at most RetransmitMult × ceil(log10(N+1)) times, the
// least transmitted (and, among equals, the newest) first.

type bcast struct {
	id        peer.ID
	enc       []byte // the encoded update
	transmits int
	order     uint64 // insertion order; higher is newer
}

type queue struct {
	items []*bcast // unordered
	order uint64
}

// retransmitLimit is memberlist's retransmitLimit, mult × ceil(log10(N+1)),
// but with log10 taken as at least 2: in a cluster of under 100 members
// memberlist's formula gives mult sends per update, and an epidemic that
// small misses a member now and then until the next push-pull; twice that
// costs little there.
func retransmitLimit(mult, n int) int {
	return mult * max(2, int(math.Ceil(math.Log10(float64(n+1)))))
}

// push queues u, replacing the pending update about the same member. At
// max entries the most transmitted (oldest among equals) is evicted; push
// reports whether one was.
func (q *queue) push(u *update, max int) (evicted bool) {
	q.order++
	b := &bcast{id: u.id, enc: appendUpdate(nil, u), order: q.order}
	for i, old := range q.items {
		if old.id == u.id {
			q.items[i] = b
			return false
		}
	}
	if len(q.items) >= max {
		worst := 0
		for i, it := range q.items {
			w := q.items[worst]
			if it.transmits > w.transmits || it.transmits == w.transmits && it.order < w.order {
				worst = i
			}
		}
		q.items[worst] = b
		return true
	}
	q.items = append(q.items, b)
	return false
}

// remove drops the pending update about id.
func (q *queue) remove(id peer.ID) {
	q.items = slices.DeleteFunc(q.items, func(b *bcast) bool { return b.id == id })
}

// pack appends whole encoded updates to dst within budget bytes, fewest
// transmits first, counting a transmit for each and retiring those that
// reach limit. skip is an ID whose update is not to be sent (already
// prepended by the caller). It returns dst and the number appended.
func (q *queue) pack(dst []byte, budget, limit int, skip peer.ID) ([]byte, int) {
	if len(q.items) == 0 {
		return dst, 0
	}
	slices.SortFunc(q.items, func(a, b *bcast) int {
		if a.transmits != b.transmits {
			return a.transmits - b.transmits
		}
		if a.order > b.order {
			return -1
		}
		return 1
	})
	n := 0
	for _, b := range q.items {
		if b.id == skip || len(b.enc) > budget {
			continue
		}
		dst = append(dst, b.enc...)
		budget -= len(b.enc)
		b.transmits++
		n++
		if budget < minUpdateSize {
			break
		}
	}
	q.items = slices.DeleteFunc(q.items, func(b *bcast) bool { return b.transmits >= limit })
	return dst, n
}
