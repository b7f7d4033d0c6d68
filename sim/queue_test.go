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
