package replay

import (
	"math/rand/v2"
	"testing"
)

func TestReplayFilter(t *testing.T) {
	type step struct {
		c    uint64
		want bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first zero", []step{{0, true}, {0, false}}},
		{"in order", []step{{0, true}, {1, true}, {2, true}, {1, false}}},
		{"reorder inside window", []step{{100, true}, {50, true}, {99, true}, {50, false}}},
		{"window edge", []step{{WindowSize + 10, true}, {11, true}, {10, false}, {9, false}}},
		{"big jump clears ring", []step{{5, true}, {1 << 40, true}, {5, false}, {1<<40 + 5, true}, {1 << 40, false}}},
		{"jump of exactly ring", []step{{0, true}, {ringBlocks * 64, true}, {ringBlocks*64 - 1, true}}},
		{"reject after", []step{{RejectAfterMessages, false}, {RejectAfterMessages - 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			for i, s := range tt.steps {
				if got := f.Check(s.c); got != s.want {
					t.Fatalf("step %d: Check(%d) = %v, want %v", i, s.c, got, s.want)
				}
			}
		})
	}
}

// naiveReplay is the oracle: a set of seen counters and the maximum.
type naiveReplay struct {
	seen map[uint64]bool
	max  uint64
	any  bool
}

func (n *naiveReplay) check(c uint64) bool {
	if n.any && c+WindowSize <= n.max {
		return false
	}
	if n.seen[c] {
		return false
	}
	n.seen[c] = true
	if !n.any || c > n.max {
		n.max, n.any = c, true
	}
	return true
}

func TestReplayFilterOracle(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		var f Filter
		o := naiveReplay{seen: map[uint64]bool{}}
		base := uint64(0)
		for i := 0; i < 20000; i++ {
			var c uint64
			switch r.IntN(10) {
			case 0:
				base += uint64(r.IntN(3 * WindowSize))
				c = base
			case 1, 2:
				c = base - uint64(r.IntN(int(min(base, 2*WindowSize))+1))
			default:
				base++
				c = base - uint64(r.IntN(int(min(base, 64))+1))
			}
			if got, want := f.Check(c), o.check(c); got != want {
				t.Fatalf("seed %d step %d: Check(%d) = %v, oracle %v (max %d)", seed, i, c, got, want, o.max)
			}
		}
	}
}

// The ring is allocated only at the first gap, filled as the in-order
// prefix left it: the filter then agrees with the oracle whatever the
// prefix's length (around block and ring boundaries especially) and the
// gap's.
func TestReplayFilterLazyRing(t *testing.T) {
	prefixes := []uint64{0, 1, 2, 63, 64, 65, 127, 128, 129,
		WindowSize - 1, WindowSize, WindowSize + 1,
		ringBlocks*blockBits - 1, ringBlocks * blockBits, ringBlocks*blockBits + 1,
		3*ringBlocks*blockBits + 17}
	for _, n := range prefixes {
		for _, gap := range []uint64{1, 2, 63, 64, 200} {
			r := rand.New(rand.NewPCG(n, gap))
			var f Filter
			o := naiveReplay{seen: map[uint64]bool{}}
			for c := uint64(0); c < n; c++ {
				if !f.Check(c) || !o.check(c) {
					t.Fatalf("prefix %d: in-order counter %d refused", n, c)
				}
			}
			if f.ring != nil {
				t.Fatalf("prefix %d: ring allocated with no gap", n)
			}
			// The first counter after the gap, then every counter behind
			// it to past the window's end, then reordering around it.
			top := n + gap
			for back := uint64(0); back <= min(top, WindowSize+130); back++ {
				c := top - back
				if got, want := f.Check(c), o.check(c); got != want {
					t.Fatalf("prefix %d gap %d: Check(%d) = %v, oracle %v", n, gap, c, got, want)
				}
			}
			if f.ring == nil {
				t.Fatalf("prefix %d gap %d: no ring after the gap", n, gap)
			}
			base := top
			for i := 0; i < 2000; i++ {
				c := base - uint64(r.IntN(int(min(base, WindowSize+200))+1))
				if r.IntN(4) == 0 {
					base += uint64(r.IntN(70))
					c = base
				}
				if got, want := f.Check(c), o.check(c); got != want {
					t.Fatalf("prefix %d gap %d step %d: Check(%d) = %v, oracle %v (max %d)", n, gap, i, c, got, want, o.max)
				}
			}
		}
	}
}
