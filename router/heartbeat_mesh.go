package router

import (
	"slices"
	"sort"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// maintainMesh keeps t's mesh within [Dlo, Dhi] (gossipsub-v1.0.md
// "Mesh Maintenance" with the v1.1 score, backoff and Dout rules), its
// choices made by the strategy, and applies the strategy's zone quotas.
func (r *Router) maintainMesh(now time.Time, t *topicState) {
	// Peers with a negative score, or backed off, leave.
	for _, p := range t.mesh.Clone() {
		if r.score(p) < 0 || r.backoff.Active(t.name, p, now) {
			r.prune(now, t, p, false, r.p.PruneBackoff)
		}
	}
	if t.mesh.Len() < r.p.Dlo {
		for _, p := range r.graftCandidates(now, t, r.p.D-t.mesh.Len(), false) {
			r.graft(now, t, p)
		}
	}
	// The zone quotas graft before the prune above Dhi, which keeps the
	// quota's peers, so that the mesh ends within Dhi (+ Dout).
	r.fillZones(now, t)
	if t.mesh.Len() > r.p.Dhi {
		r.pruneOversubscribed(now, t)
	}
	if t.mesh.Len() >= r.p.Dlo {
		r.fillOutbound(now, t)
	}
	r.improveMesh(now, t)
	if r.heartbeats%uint64(r.p.OpportunisticGraftTicks) == 0 && t.mesh.Len() > 1 {
		r.opportunisticGraft(now, t)
	}
}

// pruneOversubscribed prunes the mesh down to D, keeping the Dscore best,
// the rest by the strategy (at random under Uniform), and at least Dout
// outbound peers (mesh.Prefs.SelectKeep); the pruned get PX.
func (r *Router) pruneOversubscribed(now time.Time, t *topicState) {
	c := r.meshCandidates(t)
	k := r.prefs.SelectKeep(c, r.p.D, r.p.Dscore, r.p.Dout, r.rng)
	drop := make([]peer.ID, 0, len(c)-k)
	for _, x := range c[k:] {
		drop = append(drop, x.ID)
	}
	slices.SortFunc(drop, peer.ID.Compare)
	for _, p := range drop {
		r.prune(now, t, p, true, r.p.PruneBackoff)
	}
}

// meshCandidates returns t's mesh peers as candidates (score, direction,
// zone, RTT), in ID order, in the router's scratch slice.
func (r *Router) meshCandidates(t *topicState) []mesh.Candidate {
	c := r.cands[:0]
	for _, p := range t.mesh.Slice() {
		ps := r.peers[p]
		c = append(c, mesh.Candidate{ID: p, Score: r.score(p), Outbound: ps.opts.Direction == Outbound, Zone: ps.opts.Zone, RTT: ps.rtt})
	}
	r.cands = c
	return c
}

// fillOutbound grafts outbound peers while fewer than Dout are in the mesh.
func (r *Router) fillOutbound(now time.Time, t *topicState) {
	out := 0
	for _, p := range t.mesh.Slice() {
		if r.peers[p].opts.Direction == Outbound {
			out++
		}
	}
	if out >= r.p.Dout {
		return
	}
	for _, p := range r.graftCandidates(now, t, r.p.Dout-out, true) {
		r.graft(now, t, p)
	}
}

// opportunisticGraft grafts up to OpportunisticGraftPeers peers scoring
// above the mesh's median when the median is below
// OpportunisticGraftThreshold (gossipsub-v1.1.md "Opportunistic
// Grafting"), chosen among them by the strategy.
func (r *Router) opportunisticGraft(now time.Time, t *topicState) {
	scores := make([]float64, 0, t.mesh.Len())
	for _, p := range t.mesh.Slice() {
		scores = append(scores, r.score(p))
	}
	median := medianScore(scores)
	if median >= r.th.OpportunisticGraftThreshold {
		return
	}
	var c []peer.ID
	for _, p := range t.peers.Slice() {
		if r.graftable(now, t, p) && r.score(p) > median {
			c = append(c, p)
		}
	}
	for _, p := range r.pick(t.mesh.Slice(), c, r.p.OpportunisticGraftPeers) {
		r.graft(now, t, p)
	}
}

// medianScore returns the median of s (the upper middle for an even
// length, as go-libp2p-pubsub does); s is sorted in place.
func medianScore(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	sort.Float64s(s)
	return s[len(s)/2]
}
