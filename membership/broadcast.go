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
	// items are in send order (bcastLess): push puts a new update first,
	// where it belongs (no transmits yet, the newest), and pack keeps the
	// order with a merge.
	items []*bcast
	byID  map[peer.ID]*bcast // the pending update of each member in items
	// sizes counts the queued updates by encoded size and minSize is the
	// smallest: once pack's budget is below it nothing more fits, so pack
	// stops there rather than look at every update of a long queue.
	sizes      map[int]int
	minSize    int
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
// reports whether one was. The new update sorts first (no transmits, the
// newest), so it goes to the front and the queue stays in send order: a
// sort after every push, with a join or a suspicion arriving every few
// sends in a large cluster, cost more than the sends.
func (q *queue) push(u *update, max int) (evicted bool) {
	q.order++
	b := &bcast{id: u.id, enc: appendUpdate(nil, u), order: q.order}
	drop := -1
	if old := q.byID[u.id]; old != nil {
		drop = slices.Index(q.items, old)
		q.unindex(old)
	} else if len(q.items) >= max {
		// In send order the most transmitted, oldest among equals, is
		// the last.
		drop = len(q.items) - 1
		q.unindex(q.items[drop])
		evicted = true
	}
	q.index(b)
	if drop < 0 {
		q.items = append(q.items, nil)
		drop = len(q.items) - 1
	}
	copy(q.items[1:drop+1], q.items[:drop])
	q.items[0] = b
	return evicted
}

// index records b, about to be queued, in byID and sizes.
func (q *queue) index(b *bcast) {
	if q.byID == nil {
		q.byID, q.sizes = make(map[peer.ID]*bcast), make(map[int]int)
	}
	q.byID[b.id] = b
	n := len(b.enc)
	if len(q.sizes) == 0 || n < q.minSize {
		q.minSize = n
	}
	q.sizes[n]++
}

// unindex forgets b, about to leave the queue, in byID and sizes.
func (q *queue) unindex(b *bcast) {
	delete(q.byID, b.id)
	n := len(b.enc)
	if q.sizes[n]--; q.sizes[n] > 0 {
		return
	}
	delete(q.sizes, n)
	if n == q.minSize && len(q.sizes) > 0 {
		// A handful of distinct sizes (alive with metadata, suspect and
		// dead with or without an accuser).
		q.minSize = math.MaxInt
		for k := range q.sizes {
			q.minSize = min(q.minSize, k)
		}
	}
}

// has reports whether an update about id is pending.
func (q *queue) has(id peer.ID) bool { return q.byID[id] != nil }

// remove drops the pending update about id.
func (q *queue) remove(id peer.ID) {
	b := q.byID[id]
	if b == nil {
		return
	}
	q.unindex(b)
	q.items = slices.DeleteFunc(q.items, func(x *bcast) bool { return x == b })
}

// reset drops every pending update.
func (q *queue) reset() {
	clear(q.items)
	q.items = q.items[:0]
	clear(q.byID)
	clear(q.sizes)
}

// pack appends whole encoded updates to dst within budget bytes, fewest
// transmits first, counting a transmit for each and retiring those that
// reach limit. skip is an ID whose update is not to be sent (already
// prepended by the caller). It returns dst and the number appended.
func (q *queue) pack(dst []byte, budget, limit int, skip peer.ID) ([]byte, int) {
	if len(q.items) == 0 {
		return dst, 0
	}
	// The updates sent move up by one transmit but keep their order among
	// themselves, and so do the others: merging the two runs keeps the
	// queue sorted. The sent ones come from a prefix of the queue (with
	// the few skipped there), so the merge runs in place and stops where
	// the last sent one lands; the rest of the queue stays where it is
	// (or moves down over retired updates). Sorting the queue at every
	// send cost O(n log n), a quarter of a 1,000-node simulation's time,
	// and a merge of the whole queue still a tenth.
	sent, kept := q.sent[:0], q.kept[:0]
	items := q.items
	stop := len(items) // items[stop:] were not looked at
	for i, b := range items {
		if budget < q.minSize {
			stop = i // nothing queued fits any more
			break
		}
		if b.id == skip || len(b.enc) > budget {
			kept = append(kept, b)
			continue
		}
		dst = append(dst, b.enc...)
		budget -= len(b.enc)
		b.transmits++
		sent = append(sent, b)
		if budget < minUpdateSize {
			stop = i + 1
			break
		}
	}
	w, j, r := 0, 0, stop // write position, next of kept, next of items[stop:]
	for _, b := range sent {
		// The skipped ones of the prefix come before items[stop:]: few,
		// merged one by one.
		for j < len(kept) && bcastLess(kept[j], b) < 0 {
			items[w], w, j = kept[j], w+1, j+1
		}
		if j == len(kept) {
			// Where b lands in the rest: a binary search and a block
			// move, not a comparison per update (a sent update passes
			// every update left at its old transmit count, often most
			// of the queue). w < r while a sent update is to be placed.
			p, _ := slices.BinarySearchFunc(items[r:], b, bcastLess)
			w += copy(items[w:], items[r:r+p])
			r += p
		}
		if b.transmits < limit {
			items[w], w = b, w+1
		} else {
			q.unindex(b) // retired
		}
	}
	for ; j < len(kept); j++ {
		items[w], w = kept[j], w+1
	}
	if w < r {
		w += copy(items[w:], items[r:])
	} else {
		w = len(items)
	}
	// Updates not sent reach the limit when it falls (the cluster
	// shrank); in send order they are the last ones.
	for ; w > 0 && items[w-1].transmits >= limit; w-- {
		q.unindex(items[w-1])
	}
	clear(items[w:]) // retired updates: let them go
	q.items = items[:w]
	n := len(sent)
	clear(sent)
	clear(kept)
	q.sent, q.kept = sent[:0], kept[:0]
	return dst, n
}
