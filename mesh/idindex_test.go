package mesh

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDIndexAgainstMap drives the index with forced hash collisions
// (hashes drawn from a few values, so that probe runs are long and wrap
// round the table) against a Go map, through growth and shrinking.
func TestIDIndexAgainstMap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hashes uint32 // hashes are drawn from [0, hashes), or as far below 2³² (homes at the end)
		ops    int
	}{
		{"one hash", 1, 8000},
		{"few hashes", 7, 20000},
		{"spread", 1 << 30, 50000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.hashes)))
			x := newIDIndex()
			peak, shrunk := 0, false
			var slab []cacheEntry
			var free []int32
			want := map[string]int32{}
			hashOf := func(id string) uint32 {
				h := uint32(len(id)*2654435761) % tc.hashes
				if len(id)%2 == 0 {
					h = ^uint32(0) - h // home slots at the table's end, whatever its size: runs wrap
				}
				return h
			}
			for op := range tc.ops {
				// Grow to about 600 ids, then shrink to none, twice.
				grow := op%(tc.ops/2) < tc.ops/4
				id := fmt.Sprint(rng.IntN(1200))
				h := hashOf(id)
				got, ok := x.find(slab, id, h)
				w, wok := want[id]
				if ok != wok || (ok && got != w) {
					t.Fatalf("op %d: find %q = %d %v, want %d %v", op, id, got, ok, w, wok)
				}
				switch {
				case !ok && grow:
					var i int32
					if k := len(free); k > 0 {
						i, free = free[k-1], free[:k-1]
					} else {
						i = int32(len(slab))
						slab = append(slab, cacheEntry{})
					}
					slab[i] = cacheEntry{id: id, hash: h}
					x.add(h, i)
					want[id] = i
				case ok && !grow:
					x.remove(h, got)
					slab[got] = cacheEntry{}
					free = append(free, got)
					delete(want, id)
				}
				peak = max(peak, len(x.slots))
				shrunk = shrunk || len(x.slots) < peak
				if x.n != len(want) {
					t.Fatalf("op %d: n %d, want %d", op, x.n, len(want))
				}
			}
			if !shrunk {
				t.Fatalf("the table never shrank from %d slots", peak)
			}
			for id, i := range want {
				if got, ok := x.find(slab, id, slab[i].hash); !ok || got != i {
					t.Fatalf("end: find %q = %d %v, want %d", id, got, ok, i)
				}
			}
		})
	}
}
