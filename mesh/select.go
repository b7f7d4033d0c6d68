package mesh

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// Candidate is a mesh peer considered by SelectKeep.
type Candidate struct {
	ID       peer.ID
	Score    float64
	Outbound bool
}

// SelectKeep chooses which peers of an oversubscribed mesh to keep
// (gossipsub-v1.1.md "Mesh Maintenance"): d peers, of which the dscore best
// by score (ties broken at random), the rest at random, and at least dout
// outbound peers when that many are available. It reorders cands in place
// so that the kept peers come first and returns how many are kept
// (min(d, len(cands))). The outbound quota wins over the dscore rule when
// both cannot hold. Randomness comes only from rng.
func SelectKeep(cands []Candidate, d, dscore, dout int, rng *rand.Rand) int {
	if d >= len(cands) {
		return len(cands)
	}
	if dscore > d {
		dscore = d
	}
	shuffle(cands, rng)
	slices.SortStableFunc(cands, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	rest := cands[dscore:]
	shuffle(rest, rng)
	out := 0
	for _, c := range cands[:dscore] {
		if c.Outbound {
			out++
		}
	}
	// Fill the d-dscore free places: outbound peers first while the quota
	// is short, then the others in their random order.
	free := d - dscore
	for i := 0; i < len(rest) && out < dout && i < free; i++ {
		j := i
		for j < len(rest) && !rest[j].Outbound {
			j++
		}
		if j == len(rest) {
			break
		}
		// Move rest[j] to position i, keeping the others' relative order.
		c := rest[j]
		copy(rest[i+1:j+1], rest[i:j])
		rest[i] = c
		out++
	}
	// When the free places could not meet the quota (dscore close to d),
	// outbound peers displace the lowest-placed inbound peers kept.
	for i := d - 1; i >= 0 && out < dout; i-- {
		if cands[i].Outbound {
			continue
		}
		j := d
		for j < len(cands) && !cands[j].Outbound {
			j++
		}
		if j == len(cands) {
			break
		}
		cands[i], cands[j] = cands[j], cands[i]
		out++
	}
	return d
}

func shuffle[T any](s []T, rng *rand.Rand) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
