package mesh

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Candidate is a mesh peer considered by SelectKeep.
type Candidate struct {
	ID       peer.ID
	Score    float64
	Outbound bool
	// Zone and RTT place the peer for Prefs.SelectKeep's strategy (see
	// Placed); Uniform ignores them.
	Zone string
	RTT  time.Duration
}

// placed returns c as a strategy sees it.
func (c *Candidate) placed() Placed { return Placed{ID: c.ID, Zone: c.Zone, RTT: c.RTT} }

// SelectKeep chooses which peers of an oversubscribed mesh to keep
// (gossipsub-v1.1.md "Mesh Maintenance"): d peers, of which the dscore best
// by score (ties broken at random), the rest at random, and at least dout
// outbound peers when that many are available. It reorders cands in place
// so that the kept peers come first and returns how many are kept
// (min(d, len(cands))). The outbound quota wins over the dscore rule when
// both cannot hold. Randomness comes only from rng. It is Prefs.SelectKeep
// under Uniform.
func SelectKeep(cands []Candidate, d, dscore, dout int, rng *rand.Rand) int {
	var uniform Prefs
	return uniform.SelectKeep(cands, d, dscore, dout, rng)
}

// SelectKeep is the package's SelectKeep with the d-dscore places left
// after the dscore best chosen by p's strategy instead of at random: Pick
// with have = the dscore best, so that PreferLocal keeps its Remote peers
// of other zones (counting those among the dscore best) and the rest
// local, HubAndSpoke one peer of each zone the dscore best lack, and
// PreferFast the fastest peers but for its random share. The outbound
// quota then applies as in SelectKeep: an outbound peer displaces the
// last place the strategy filled. Under Uniform it consumes rng exactly as
// SelectKeep always did.
func (p *Prefs) SelectKeep(cands []Candidate, d, dscore, dout int, rng *rand.Rand) int {
	if d >= len(cands) {
		return len(cands)
	}
	if dscore > d {
		dscore = d
	}
	shuffle(cands, rng)
	slices.SortStableFunc(cands, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	rest := cands[dscore:]
	free := d - dscore
	if p.Strategy == Uniform {
		shuffle(rest, rng)
	} else {
		p.pickRest(cands[:dscore], rest, free, rng)
	}
	out := 0
	for _, c := range cands[:dscore] {
		if c.Outbound {
			out++
		}
	}
	// Fill the d-dscore free places: outbound peers first while the quota
	// is short, then the others in their order (random, or the strategy's).
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

// pickRest orders rest by Pick (have: kept) so that its first free
// elements are the strategy's picks, best first; the others follow in
// Pick's leftover order.
func (p *Prefs) pickRest(kept, rest []Candidate, free int, rng *rand.Rand) {
	have := make([]Placed, len(kept))
	for i := range kept {
		have[i] = kept[i].placed()
	}
	pl := make([]Placed, len(rest))
	byID := make(map[peer.ID]Candidate, len(rest))
	for i := range rest {
		pl[i] = rest[i].placed()
		byID[rest[i].ID] = rest[i]
	}
	p.Pick(have, pl, free, rng)
	for i := range pl {
		rest[i] = byID[pl[i].ID]
	}
}

// Order sorts s into the order in which a node sends the copies of a
// message (its own, or one it forwards), so that on a limited uplink the
// peers it prefers get theirs first. It is deterministic (no randomness:
// the order of a fixed set of peers is computed once, not per message),
// and within each group below peers go by RTT, measured ones first,
// then by ID:
//
//   - Uniform: s is left as it is.
//   - PreferLocal: peers of the node's zone, then the others.
//   - HubAndSpoke: the fastest peer of each other zone (its hub, the one
//     route of a copy into that zone), then the node's zone, then the
//     other remote peers.
//   - PreferFast: by RTT alone.
func (p *Prefs) Order(s []Placed) {
	if p.Strategy == Uniform || len(s) < 2 {
		return
	}
	slices.SortFunc(s, func(a, b Placed) int {
		if c := cmp.Compare(rttKey(a.RTT), rttKey(b.RTT)); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	switch p.Strategy {
	case PreferLocal:
		rank := make([]int8, len(s))
		for i := range s {
			if !p.Local(s[i].Zone) {
				rank[i] = 1
			}
		}
		sortByRank(s, rank)
	case HubAndSpoke:
		rank := make([]int8, len(s))
		hub := make(map[string]bool)
		for i := range s {
			switch {
			case p.Local(s[i].Zone):
				rank[i] = 1
			case !hub[s[i].Zone]:
				hub[s[i].Zone] = true
			default:
				rank[i] = 2
			}
		}
		sortByRank(s, rank)
	}
}

func shuffle[T any](s []T, rng *rand.Rand) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
