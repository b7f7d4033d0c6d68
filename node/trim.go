package node

import (
	"cmp"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// trimCandidate is what the trim policy knows of one connected peer.
type trimCandidate struct {
	id       peer.ID
	direct   bool
	outbound bool
	inMesh   bool // in the mesh of at least one joined topic
	score    float64
}

// chooseTrim returns the peers to disconnect so that at most high remain,
// in the order they should go. The policy, most expendable first: never a
// direct peer; peers in none of our meshes before mesh members; inbound
// before outbound (GossipSub keeps Dout outbound peers in each mesh, and
// outbound peers are the ones an attacker cannot easily plant); lower
// scores first; the smaller ID last of all, so the choice is deterministic.
// cands is not modified.
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
		if a.inMesh != b.inMesh {
			return boolCmp(a.inMesh, b.inMesh)
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

// trim disconnects the peers above PeersHigh chosen by chooseTrim. Called
// by the peer manager on the loop.
func (n *Node) trim(now time.Time) {
	if len(n.peers) <= n.cfg.PeersHigh {
		return
	}
	inMesh := map[peer.ID]bool{}
	for _, t := range n.r.Joined() {
		for _, p := range n.r.Mesh(t) {
			inMesh[p] = true
		}
	}
	cands := make([]trimCandidate, 0, len(n.peers))
	for id, pi := range n.peers {
		c := trimCandidate{id: id, direct: pi.direct, outbound: pi.outbound, inMesh: inMesh[id]}
		if n.scorer != nil {
			c.score = n.scorer.Score(id)
		}
		cands = append(cands, c)
	}
	for _, id := range chooseTrim(cands, n.cfg.PeersHigh) {
		n.counts.trimmed++
		n.disconnect(now, id, "trimmed")
	}
}
