package membership

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/peer"
)

// refQueue is the queue as it was before pack kept it sorted: sort at
// every pack, then send, then retire. TestQueuePackMatchesSort holds the
// queue to it.
type refQueue struct{ items []*bcast }

func (q *refQueue) pack(dst []byte, budget, limit int, skip peer.ID) ([]byte, int) {
	slices.SortFunc(q.items, bcastLess)
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

// TestQueuePackMatchesSort: random pushes (repeated members, evictions,
// updates of several sizes), removals and packs (budgets, limits, skips)
// send the same bytes from the queue as from the sort-every-time
// reference, and leave the same updates queued.
func TestQueuePackMatchesSort(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 9))
		var q queue
		var ref refQueue
		for step := range 400 {
			id := peer.ID{byte(rng.IntN(40)), 1}
			switch r := rng.IntN(10); {
			case r < 5:
				u := update{state: StateAlive, id: id, inc: uint64(step)}
				if rng.IntN(3) == 0 {
					u.hasMeta, u.addr = true, string(make([]byte, rng.IntN(60)))
				}
				q.push(&u, 30)
				// The reference takes the same queue state: mirror it.
				ref.items = slices.Clone(q.items)
			case r < 6:
				q.remove(id)
				ref.items = slices.DeleteFunc(ref.items, func(b *bcast) bool { return b.id == id })
			default:
				budget, limit := rng.IntN(600), 1+rng.IntN(6)
				skip := peer.ID{}
				if rng.IntN(2) == 0 {
					skip = id
				}
				// Both must see the same transmits: pack the reference on
				// copies of the updates.
				refItems := make([]*bcast, len(ref.items))
				for i, b := range ref.items {
					c := *b
					refItems[i] = &c
				}
				ref.items = refItems
				got, n := q.pack(nil, budget, limit, skip)
				want, wn := ref.pack(nil, budget, limit, skip)
				if n != wn || !bytes.Equal(got, want) {
					t.Fatalf("seed %d step %d: pack sent %d updates (%d bytes), the reference %d (%d bytes)", seed, step, n, len(got), wn, len(want))
				}
				if len(q.items) != len(ref.items) {
					t.Fatalf("seed %d step %d: %d queued, the reference %d", seed, step, len(q.items), len(ref.items))
				}
				// The reference leaves its updates in the order before the
				// send; compare in send order.
				refSorted := slices.SortedFunc(slices.Values(ref.items), bcastLess)
				if !slices.IsSortedFunc(q.items, bcastLess) {
					t.Fatalf("seed %d step %d: queue not kept in send order", seed, step)
				}
				for i := range q.items {
					if q.items[i].order != refSorted[i].order || q.items[i].transmits != refSorted[i].transmits {
						t.Fatalf("seed %d step %d: queue differs from the reference at %d", seed, step, i)
					}
				}
			}
		}
	}
}
