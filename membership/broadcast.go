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
	// items are in send order (bcastLess) when sorted is set; push breaks
	// it, and pack sorts once and keeps it.
	items      []*bcast
	sorted     bool
	order      uint64
	sent, kept []*bcast // pack's scratch
}

// bcastLess orders updates for sending: fewest transmits first, newest
// first among equals. order is unique, so the order is total.
func bcastLess(a, b *bcast) int {
	if a.transmits != b.transmits {
		return a.transmits - b.transmits
	}
	if a.order > b.order {
		return -1
	}
	return 1
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
	q.sorted = false
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
	if !q.sorted {
		slices.SortFunc(q.items, bcastLess)
		q.sorted = true
	}
	// The updates sent move up by one transmit but keep their order among
	// themselves, and so do the others: merging the two runs keeps the
	// queue sorted in O(n). Sorting it at every send cost O(n log n), a
	// quarter of a 1,000-node simulation's time.
	sent, kept := q.sent[:0], q.kept[:0]
	for i, b := range q.items {
		if b.id == skip || len(b.enc) > budget {
			kept = append(kept, b)
			continue
		}
		dst = append(dst, b.enc...)
		budget -= len(b.enc)
		b.transmits++
		sent = append(sent, b)
		if budget < minUpdateSize {
			kept = append(kept, q.items[i+1:]...)
			break
		}
	}
	items := q.items[:0]
	for i, j := 0, 0; i < len(sent) || j < len(kept); {
		var b *bcast
		if j == len(kept) || i < len(sent) && bcastLess(sent[i], kept[j]) < 0 {
			b, i = sent[i], i+1
		} else {
			b, j = kept[j], j+1
		}
		if b.transmits < limit {
			items = append(items, b)
		}
	}
	clear(q.items[len(items):]) // retired updates: let them go
	q.items = items
	n := len(sent)
	clear(sent)
	clear(kept)
	q.sent, q.kept = sent[:0], kept[:0]
	return dst, n
}
