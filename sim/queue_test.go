package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQueueOrder checks the heap against a sort of the same events: pops
// come out by time, ties in insertion order.
func TestQueueOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		spread int64
	}{
		{"distinct times", 500, 1 << 40},
		{"many ties", 500, 4},
		{"all tied", 100, 1},
		{"one", 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var q queue
			var want []event
			for i := range tc.n {
				e := event{at: rng.Int64N(tc.spread), arg: int32(i)}
				q.push(e)
				e.seq = uint64(i + 1)
				want = append(want, e)
				if rng.IntN(4) == 0 { // interleave pops with pushes
					slices.SortStableFunc(want, func(a, b event) int { return cmpEvent(a, b) })
					got := q.pop()
					if got.arg != want[0].arg {
						t.Fatalf("interleaved pop: got event %d at %d, want %d at %d", got.arg, got.at, want[0].arg, want[0].at)
					}
					want = want[1:]
				}
			}
			slices.SortStableFunc(want, func(a, b event) int { return cmpEvent(a, b) })
			for i, w := range want {
				got := q.pop()
				if got.arg != w.arg || got.at != w.at {
					t.Fatalf("pop %d: got event %d at %d, want %d at %d", i, got.arg, got.at, w.arg, w.at)
				}
			}
			if q.len() != 0 {
				t.Fatalf("%d events left", q.len())
			}
		})
	}
}

func cmpEvent(a, b event) int {
	switch {
	case a.at != b.at:
		if a.at < b.at {
			return -1
		}
		return 1
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

// BenchmarkQueue is the simulator's steady state: a queue of 200,000
// events where each pop schedules one event 50–150 ms later.
func BenchmarkQueue(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q queue
	for range 200000 {
		q.push(event{at: rng.Int64N(100e6)})
	}
	for b.Loop() {
		e := q.pop()
		q.push(event{at: e.at + 50e6 + rng.Int64N(100e6)})
	}
}

// TestQueueReference drives the queue and a sorted slice with the same
// random pushes (from the run and from nodes, each stamping its own
// counter) and pops, the way the simulator does: every push is at
// or after the last popped time (often exactly at it), most packets are
// due within 150 ms, timers seconds ahead, some far beyond the window,
// and the queue grows, drains and refills.
func TestQueueReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  int
		pPop int     // percent of operations that pop
		span []int64 // how far ahead pushes go, picked at random
	}{
		{"packets", 50000, 50, []int64{0, 1, 1e6, 150e6}},
		{"ties at now", 20000, 45, []int64{0, 0, 0, 1}},
		{"same bucket", 20000, 50, []int64{0, 1, 1000, 1 << bucketShift}},
		{"timers", 50000, 48, []int64{0, 150e6, 2e9, 10e9}},
		{"far future", 20000, 50, []int64{0, 1e6, 1e12, 1 << 50}},
		{"grow", 50000, 20, []int64{0, 1e6, 150e6, 5e9}},
		{"drain", 50000, 70, []int64{0, 150e6, 5e9}},
		{"past", 20000, 50, []int64{-5e6, -1, 0, 1e6, 2e9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			var q queue
			var ref []event // sorted by (at, seq)
			var now int64
			var seq uint64
			var ctrs [5]uint64 // pushes of origins 0-4; the others are the run's
			for i := range tc.ops {
				if len(ref) > 0 && rng.IntN(100) < tc.pPop {
					got, want := q.pop(), ref[0]
					ref = ref[1:]
					if got.arg != want.arg || got.at != want.at || got.seq != want.seq {
						t.Fatalf("op %d: pop got (%d, %d) arg %d, want (%d, %d) arg %d",
							i, got.at, got.seq, got.arg, want.at, want.seq, want.arg)
					}
					now = max(now, got.at)
					continue
				}
				d := tc.span[rng.IntN(len(tc.span))]
				if d > 1 {
					d = rng.Int64N(d)
				}
				e := event{at: now + d, arg: int32(i)}
				// Pushes come from the run or from one of five nodes, so
				// that a push's seq is often not the highest queued.
				if o := rng.IntN(len(ctrs) + 1); o < len(ctrs) {
					q.from(int32(o), &ctrs[o])
					q.push(e)
					e.seq = uint64(o)<<originShift | ctrs[o]
				} else {
					q.fromRun()
					q.push(e)
					seq++
					e.seq = runOrigin<<originShift | seq
				}
				j, _ := slices.BinarySearchFunc(ref, e, cmpEvent)
				ref = slices.Insert(ref, j, e)
				if q.len() != len(ref) {
					t.Fatalf("op %d: len %d, want %d", i, q.len(), len(ref))
				}
			}
			for len(ref) > 0 {
				if at := q.nextAt(); at != ref[0].at {
					t.Fatalf("nextAt %d, want %d", at, ref[0].at)
				}
				got := q.pop()
				if got.arg != ref[0].arg {
					t.Fatalf("final pop got arg %d at %d, want %d at %d", got.arg, got.at, ref[0].arg, ref[0].at)
				}
				ref = ref[1:]
			}
			if q.len() != 0 {
				t.Fatalf("%d events left", q.len())
			}
		})
	}
}

// BenchmarkQueueMix is the 1,000-node simulation's mix: about 4,000
// events queued; each pop schedules a packet 0.5–150 ms later, sometimes
// one at the same time, and one in ten a timer up to 2 s later.
func BenchmarkQueueMix(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q queue
	for range 4000 {
		q.push(event{at: rng.Int64N(150e6)})
	}
	for b.Loop() {
		e := q.pop()
		switch r := rng.IntN(20); {
		case r == 0:
			q.push(event{at: e.at})
		case r < 3:
			q.push(event{at: e.at + rng.Int64N(2e9)})
		default:
			q.push(event{at: e.at + 500e3 + rng.Int64N(150e6)})
		}
	}
}

// The queue's memory follows the events it holds: after a burst into one
// bucket, steady traffic of a few events per bucket through the whole ring
// leaves the bucket arrays near that traffic's size, not the burst's (the
// arrays move between buckets, so one kept at the burst's size would
// spread it to every bucket).
func TestQueueMemoryFollowsLoad(t *testing.T) {
	const bucket = int64(1) << bucketShift
	var q queue
	for range 50_000 { // the burst, in one bucket
		q.push(event{at: 5 * bucket})
	}
	now := int64(0)
	for q.len() > 0 {
		now = q.pop().at
	}
	// Steady: 4 events per bucket, 1,000 buckets ahead, for twice the ring.
	for i := range 2 * ringSize {
		b := now>>bucketShift + 1 + int64(i)
		for j := range 4 {
			q.push(event{at: (b+ringSize-2)*bucket + int64(j)})
		}
		for q.len() > 0 && q.nextAt()>>bucketShift <= b {
			q.pop()
		}
	}
	held := cap(q.cur)
	for _, b := range q.ring {
		held += cap(b)
	}
	for _, b := range q.spare {
		held += cap(b)
	}
	if limit := (ringSize + maxSpare + 1) * 8; held > limit {
		t.Fatalf("%d event slots held for %d queued (limit %d): the burst's array spread", held, q.len(), limit)
	}
}

// TestQueueOrigins: ties at one instant break by origin (the node whose
// event pushed them, the run's last), then in each origin's push order,
// whatever order the origins pushed in.
func TestQueueOrigins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pushes []int32 // origin of each push, all at one instant; -1: the run
		want   []int   // pop order, by push index
	}{
		{"one origin", []int32{4, 4, 4}, []int{0, 1, 2}},
		{"by origin", []int32{7, 2, 5}, []int{1, 2, 0}},
		{"interleaved", []int32{3, 1, 3, 1}, []int{1, 3, 0, 2}},
		{"the run last", []int32{-1, 9, -1, 0}, []int{3, 1, 0, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q queue
			ctrs := map[int32]*uint64{}
			for i, o := range tc.pushes {
				if o < 0 {
					q.fromRun()
				} else {
					if ctrs[o] == nil {
						ctrs[o] = new(uint64)
					}
					q.from(o, ctrs[o])
				}
				q.push(event{at: 5, arg: int32(i)})
			}
			var got []int
			for q.len() > 0 {
				got = append(got, int(q.pop().arg))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pop order %v, want %v", got, tc.want)
			}
		})
	}
}
