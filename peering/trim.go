package peering

import (
	"cmp"
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// trimCandidate is what the trim policy knows of one connected peer.
type trimCandidate struct {
	id        peer.ID
	direct    bool    // SourceDirect: never trimmed
	protected bool    // View.Protected: in some topic mesh, trimmed last
	stale     bool    // View.Stale: in backoff wherever it could be grafted, trimmed first
	outbound  bool    // we dialled it
	score     float64 // View.Score
}

// chooseTrim returns the peers to disconnect so that at most high of
// cands remain, in the order they should go. Never a direct peer, even if
// that leaves more than high; unprotected peers before protected ones (a
// mesh peer goes only when nothing else is left, so that High stays a
// bound on the node's peers); stale peers (in backoff in every topic they
// could be grafted in) before the others; then inbound before outbound (GossipSub keeps Dout outbound peers in each mesh, and
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
