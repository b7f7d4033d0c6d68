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
