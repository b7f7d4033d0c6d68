package membership

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// refQueue is the queue as it was before pack kept it sorted: sort at
// every pack, then send, then retire. TestQueuePackMatchesSort holds the
// queue to it.
type refQueue struct {
	items []*bcast
	order uint64
}

// push is the queue's push as it was: replace in place, or evict the most
// transmitted (oldest among equals), or append; pack sorted afterwards.
func (q *refQueue) push(u *update, max int) bool {
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
				if ev, rev := q.push(&u, 30), ref.push(&u, 30); ev != rev {
					t.Fatalf("seed %d step %d: push evicted %v, the reference %v", seed, step, ev, rev)
				}
			case r < 6:
				q.remove(id)
				ref.items = slices.DeleteFunc(ref.items, func(b *bcast) bool { return b.id == id })
			default:
				budget, limit := rng.IntN(600), 1+rng.IntN(6)
				skip := peer.ID{}
				if rng.IntN(2) == 0 {
					skip = id
				}
				got, n := q.pack(nil, budget, limit, skip)
				want, wn := ref.pack(nil, budget, limit, skip)
				if n != wn || !bytes.Equal(got, want) {
					t.Fatalf("seed %d step %d: pack sent %d updates (%d bytes), the reference %d (%d bytes)", seed, step, n, len(got), wn, len(want))
				}
				if len(q.items) != len(ref.items) {
					t.Fatalf("seed %d step %d: %d queued, the reference %d", seed, step, len(q.items), len(ref.items))
				}
				if len(q.byID) != len(q.items) {
					t.Fatalf("seed %d step %d: %d indexed, %d queued", seed, step, len(q.byID), len(q.items))
				}
				sizes := map[int]int{}
				for _, b := range q.items {
					if q.byID[b.id] != b {
						t.Fatalf("seed %d step %d: index does not name the queued update of %x", seed, step, b.id[:1])
					}
					sizes[len(b.enc)]++
				}
				if !maps.Equal(sizes, q.sizes) {
					t.Fatalf("seed %d step %d: sizes %v, queued %v", seed, step, q.sizes, sizes)
				}
				if len(sizes) > 0 && q.minSize != slices.Min(slices.Collect(maps.Keys(sizes))) {
					t.Fatalf("seed %d step %d: minSize %d, sizes %v", seed, step, q.minSize, sizes)
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

// TestAdvanceDropsLargeEventRoom: a state exchange that teaches a node 200
// members at once gives 200 events, and Advance does not keep room for as
// many (thousands of Memberships run in one simulator).
func TestAdvanceDropsLargeEventRoom(t *testing.T) {
	nt := newNet(t, 1, 1, testParams())
	m := nt.nodes[0].m
	var ups []update
	for i := 1; i <= 200; i++ {
		ups = append(ups, update{state: StateAlive, id: testID(i), inc: 1, hasMeta: true, addr: fmt.Sprintf("10.1.0.%d:7946", i)})
	}
	body := encode(nil, &message{kind: kindPushPull, updates: ups})
	if err := m.HandlePayload(nt.now, testID(1), rpc.AppendMembership(nil, body)); err != nil {
		t.Fatal(err)
	}
	if out := m.Ready(); len(out.Events) != 200 {
		t.Fatalf("%d events, want 200", len(out.Events))
	}
	m.Advance()
	if c := cap(m.out.Events); c > maxKeptEvents {
		t.Errorf("Advance kept room for %d events, want at most %d", c, maxKeptEvents)
	}
}
