package mesh

import (
	"math/rand/v2"
	"testing"
)

// TestFPSetAgainstMap runs seeded random adds and removes on an fpSet and
// on a map: keys cluster on few home slots (and include 0 and 1, stored
// alike), so that probe runs wrap around the table and deletions shift
// entries back.
func TestFPSetAgainstMap(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 2))
		keys := []uint64{0, 1<<63 | 1}
		for len(keys) < 400 {
			keys = append(keys, rng.Uint64()&^0x3f|uint64(60+rng.IntN(8))&0x3f)
		}
		var s fpSet
		m := map[uint64]bool{}
		for step := range 6000 {
			k := keys[rng.IntN(len(keys))]
			if fpKey(k) == 1 {
				k = 0 // 0 and 1 share a slot: use one of them
			}
			grow := step < 3000 // fill, then drain
			if rng.IntN(3) != 0 == grow {
				if !m[k] {
					s.add(k)
					m[k] = true
				}
			} else {
				s.remove(k)
				delete(m, k)
			}
			if s.len() != len(m) {
				t.Fatalf("seed %d step %d: len %d, want %d", seed, step, s.len(), len(m))
			}
			if step%50 == 0 {
				for _, k := range keys {
					if fpKey(k) == 1 {
						k = 0
					}
					if s.has(k) != m[k] {
						t.Fatalf("seed %d step %d: has(%#x) %v, want %v", seed, step, k, s.has(k), m[k])
					}
				}
			}
		}
		for k := range m {
			s.remove(k)
		}
		if s.len() != 0 || len(s.slots) != minFPSlots {
			t.Fatalf("seed %d: drained set holds %d in %d slots", seed, s.len(), len(s.slots))
		}
	}
}
