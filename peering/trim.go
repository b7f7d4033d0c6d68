package peering

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// trimCandidate is what the trim policy knows of one connected peer.
type trimCandidate struct {
	id        peer.ID
	direct    bool    // SourceDirect: never trimmed
	protected bool    // View.Protected: in some topic mesh, trimmed last
	stale     bool    // View.Stale: in backoff wherever it could be grafted, trimmed first
	preferred bool    // the strategy would keep it (markPreferred); all are under Uniform
	outbound  bool    // we dialled it
	score     float64 // View.Score
	placed    mesh.Placed
}

// chooseTrim returns the peers to disconnect so that at most high of
// cands remain, in the order they should go. Never a direct peer, even if
// that leaves more than high; unprotected peers before protected ones (a
// mesh peer goes only when nothing else is left, so that High stays a
// bound on the node's peers); stale peers (in backoff in every topic they
// could be grafted in) before the others; then peers the strategy does
// not prefer (markPreferred) before those it does; then inbound before
// outbound (GossipSub keeps Dout outbound peers in each mesh, and
// outbound peers are the ones an attacker cannot easily plant), then
// lower scores first (NaN lowest of all, as cmp.Compare orders it), then
// the smaller ID first, so the choice is deterministic. cands is not
// modified.
func chooseTrim(cands []trimCandidate, high int) []peer.ID {
	excess := len(cands) - high
	if excess <= 0 {
		return nil
	}
	pool := make([]trimCandidate, 0, len(cands))
	for _, c := range cands {
		if !c.direct {
			pool = append(pool, c)
		}
	}
	slices.SortFunc(pool, func(a, b trimCandidate) int {
		if a.protected != b.protected {
			return boolCmp(a.protected, b.protected)
		}
		if a.stale != b.stale {
			return boolCmp(b.stale, a.stale)
		}
		if a.preferred != b.preferred {
			return boolCmp(a.preferred, b.preferred)
		}
		if a.outbound != b.outbound {
			return boolCmp(a.outbound, b.outbound)
		}
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		return a.id.Compare(b.id)
	})
	out := make([]peer.ID, 0, min(excess, len(pool)))
	for _, c := range pool[:min(excess, len(pool))] {
		out = append(out, c.id)
	}
	return out
}

// keepOrder lists the classes of non-direct candidates in the order
// chooseTrim keeps them: protected before unprotected, fresh before stale.
var keepOrder = [...]struct{ protected, stale bool }{{true, false}, {true, true}, {false, false}, {false, true}}

// markPreferred sets preferred on the candidates that prefs would keep
// in high places. Direct peers are kept whatever happens, so they take
// their places first and are what the strategy already has; then, class
// by class in the order chooseTrim keeps them (keepOrder), prefs.Pick
// chooses as many of the class as places are left, given the peers kept
// before it. So the strategy decides among the peers that the protected
// and stale rules leave to it, knowing what those rules keep: for
// PreferLocal, cross-zone mesh peers count toward the cross-zone quota.
// Under Uniform every candidate is preferred (chooseTrim's order is then
// that before strategies) and rng is not used. Candidates are taken in
// ID order, so the result depends only on the inputs and rng.
func markPreferred(prefs *mesh.Prefs, cands []trimCandidate, high int, rng *rand.Rand) {
	if prefs.Strategy == mesh.Uniform {
		for i := range cands {
			cands[i].preferred = true
		}
		return
	}
	at := make(map[peer.ID]int, len(cands))
	var have []mesh.Placed
	for i := range cands {
		c := &cands[i]
		c.placed.ID = c.id
		c.preferred = c.direct
		at[c.id] = i
		if c.direct {
			have = append(have, c.placed)
		}
	}
	left := high - len(have)
	for _, class := range keepOrder {
		var ps []mesh.Placed
		for _, c := range cands {
			if !c.direct && c.protected == class.protected && c.stale == class.stale {
				ps = append(ps, c.placed)
			}
		}
		slices.SortFunc(ps, func(a, b mesh.Placed) int { return a.ID.Compare(b.ID) })
		for _, p := range prefs.Pick(have, ps, left, rng) {
			cands[at[p.ID]].preferred = true
			have = append(have, p)
			left--
		}
	}
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
