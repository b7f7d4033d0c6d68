package router

import (
	"cmp"
	"slices"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// This file applies Params.Strategy (r.prefs) to the router's choices.
// The score rules filter first, everywhere: a strategy only orders the
// peers that backoff, score and thresholds already allow; mesh.Prefs.Pick
// is the one ordering of them, and mesh.Prefs.Order the order of a
// message's copies.

// pick chooses k of c, which it reorders, by the strategy given the peers
// already chosen (have), and returns them in preference order, in c's
// memory. Under Uniform it shuffles c and keeps its first k, drawing from
// the rng exactly as the router did before strategies.
func (r *Router) pick(have, c []peer.ID, k int) []peer.ID {
	if r.prefs.Strategy == mesh.Uniform {
		r.rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		if len(c) > k {
			c = c[:max(k, 0)]
		}
		return c
	}
	// With a Scorer, peers that earned a positive score come first: a
	// strategy orders within a score class, so that fresh peers that are
	// merely near or fast (attackers that placed themselves so) do not
	// take places before peers that proved useful.
	proven := 0
	if r.scorer != nil {
		for i, p := range c {
			if r.score(p) > 0 {
				c[proven], c[i] = c[i], c[proven]
				proven++
			}
		}
	}
	hp := r.placements(r.placedHave[:0], have)
	cp := r.placements(r.placedCands[:0], c)
	n := 0
	for _, part := range [2][]mesh.Placed{cp[:proven], cp[proven:]} {
		picked := r.prefs.Pick(hp, part, k-n, r.rng)
		for _, p := range picked {
			c[n] = p.ID
			n++
		}
		hp = append(hp, picked...)
	}
	r.placedHave, r.placedCands = hp[:0], cp[:0]
	return c[:n]
}

// placements appends the placements of ids to dst.
func (r *Router) placements(dst []mesh.Placed, ids []peer.ID) []mesh.Placed {
	for _, p := range ids {
		dst = append(dst, r.Placement(p))
	}
	return dst
}

// fillZones applies the zone quotas inside [Dlo, Dhi]: the heartbeat
// grafts below Dlo pick by the strategy, but a mesh at or above Dlo may
// still lack the zones the strategy wants, for example after remote peers
// pruned us. It grafts from the graftable topic peers (the score rules as
// for every graft):
//   - PreferLocal: one peer of another zone per heartbeat while the mesh
//     (counting the peers that grafted us) has fewer than RemoteMeshPeers
//     of them, so that a topic never splits along zone lines;
//   - HubAndSpoke: one peer of each other zone of the topic's peers that
//     the mesh lacks.
//
// Other strategies have no quotas. Under PreferLocal a mesh at Dhi (local
// peers that grafted us fill it) still takes one such graft, and the
// prune back to D that follows in the same heartbeat keeps the quota's
// peers (Prefs.SelectKeep), so that a full mesh cannot cut a node off
// from other zones. HubAndSpoke's zones are a preference, not a guard
// against splitting: a full mesh takes none.
func (r *Router) fillZones(now time.Time, t *topicState) {
	room := r.p.Dhi - t.mesh.Len()
	if r.prefs.Strategy == mesh.PreferLocal {
		room = max(room, 1)
	}
	if room <= 0 {
		return
	}
	var c []peer.ID
	k := 0
	switch r.prefs.Strategy {
	case mesh.PreferLocal:
		remote := 0
		for _, p := range t.mesh.Slice() {
			if !r.prefs.Local(r.peers[p].opts.Zone) {
				remote++
			}
		}
		if remote >= r.p.RemoteMeshPeers {
			return
		}
		for _, p := range t.peers.Slice() {
			if !r.prefs.Local(r.peers[p].opts.Zone) && r.graftable(now, t, p) {
				c = append(c, p)
			}
		}
		k = 1
	case mesh.HubAndSpoke:
		covered := make(map[string]bool)
		for _, p := range t.mesh.Slice() {
			covered[r.peers[p].opts.Zone] = true
		}
		lacking := make(map[string]bool)
		for _, p := range t.peers.Slice() {
			z := r.peers[p].opts.Zone
			if !r.prefs.Local(z) && !covered[z] && r.graftable(now, t, p) {
				c = append(c, p)
				lacking[z] = true
			}
		}
		k = len(lacking)
	default:
		return
	}
	if len(c) == 0 {
		return
	}
	for _, p := range r.pick(t.mesh.Slice(), c, min(k, room)) {
		r.graft(now, t, p)
	}
}

// sendOrder is a list of peers in the strategy's send order (Prefs.Order),
// built when first needed after the topic's peers or the placements
// changed, so that no message sorts.
type sendOrder struct {
	ps         []*peerState
	ver, epoch uint64 // topicState.ver and Router.placeEpoch it was built at
}

// changed marks the topic's send orders stale: call it when its mesh,
// fan-out, topic peers or joined state change.
func (t *topicState) changed() { t.ver++ }

// order returns o, rebuilt from the peers of sets in the strategy's send
// order when stale. Under Uniform the order is the sets' (each sorted by
// ID), one after the other.
func (r *Router) order(t *topicState, o *sendOrder, sets ...[]peer.ID) []*peerState {
	if o.ver == t.ver && o.epoch == r.placeEpoch {
		return o.ps
	}
	pl := r.placedCands[:0]
	for _, s := range sets {
		pl = r.placements(pl, s)
	}
	r.prefs.Order(pl)
	clear(o.ps)
	o.ps = o.ps[:0]
	for _, x := range pl {
		o.ps = append(o.ps, r.peers[x.ID])
	}
	r.placedCands = pl[:0]
	o.ver, o.epoch = t.ver, r.placeEpoch
	return o.ps
}

// meshPeers returns the mesh peers' states in send order.
func (r *Router) meshPeers(t *topicState) []*peerState {
	if t.meshOrder.ver == t.ver && t.meshOrder.epoch == r.placeEpoch {
		return t.meshOrder.ps
	}
	return r.order(t, &t.meshOrder, t.mesh.Slice())
}

// placementMoved makes every send order stale after a peer's zone or RTT
// changed; Uniform's orders do not depend on placements.
func (r *Router) placementMoved() {
	if r.prefs.Strategy != mesh.Uniform {
		r.placeEpoch++
	}
}

// rttMoved reports whether a new RTT differs enough from the one the send
// orders last saw (by more than an eighth) to rebuild them: RTT estimates
// move all the time, and a small move rarely changes an order.
func rttMoved(old, rtt time.Duration) bool {
	if old <= 0 {
		return true
	}
	d := rtt - old
	return d*8 > old || -d*8 > old
}

// improveMesh lets a mesh that formed before the strategy had anything
// to choose from drift toward what the strategy prefers. At start the
// only candidates are the first sessions, and a mesh inside [Dlo, Dhi] is
// otherwise never changed, so without this a strategy would shape only
// the first grafts. Once per heartbeat per topic it swaps at most one mesh
// peer for a clearly better graftable one (GRAFT it, PRUNE the other with
// PX and the usual backoff):
//   - PreferLocal: while the mesh holds more than RemoteMeshPeers + 1
//     peers of other zones, a local peer takes the place of one of them;
//   - HubAndSpoke: while the mesh holds more than two peers of one other
//     zone, a local peer takes the place of one of them;
//   - PreferFast: the fastest graftable peer takes the place of the
//     slowest mesh peer when its RTT is under ¾ of that peer's. Mesh
//     peers in the random share (a seeded draw per peer, RandomMeshShare
//     of them) are never swapped out, so that peers answering fastest
//     cannot displace every slower honest peer.
//
// The peer leaving is never one of the Dscore best by score, nor an
// outbound peer the mesh needs for Dout, and with a Scorer the peer coming
// in has earned a positive score: the score rules keep priority, and a
// fresh peer that is merely near or fast (an attacker placed so) cannot
// displace one that proved useful. The margins (one over the quota, two
// per zone, ¾ of the RTT) leave alone
// the cross-zone links other nodes made to fill their own quotas and
// meshes that are good enough, so that meshes settle instead of churning.
func (r *Router) improveMesh(now time.Time, t *topicState) {
	if r.prefs.Strategy == mesh.Uniform || t.mesh.Len() < r.p.Dlo {
		return
	}
	c := r.meshCandidates(t)
	remote := 0
	perZone := r.zoneCount
	clear(perZone)
	for _, x := range c {
		if !r.prefs.Local(x.Zone) {
			remote++
			perZone[x.Zone]++
		}
	}
	if r.prefs.Strategy == mesh.PreferLocal && remote <= r.p.RemoteMeshPeers+1 {
		return
	}
	// The Dscore best by score (ties: ID order) stay; so does every
	// outbound peer while the mesh has no more than Dout of them.
	slices.SortStableFunc(c, func(a, b mesh.Candidate) int { return cmp.Compare(b.Score, a.Score) })
	out := 0
	for _, x := range c {
		if x.Outbound {
			out++
		}
	}
	victim := -1
	for i := min(r.p.Dscore, len(c)); i < len(c); i++ {
		x := c[i]
		if x.Outbound && out <= r.p.Dout {
			continue
		}
		switch r.prefs.Strategy {
		case mesh.PreferFast:
			if x.RTT > 0 && !r.prefs.InRandomShare(r.shareKey, x.ID) && (victim < 0 || x.RTT > c[victim].RTT) {
				victim = i
			}
		case mesh.PreferLocal:
			if victim < 0 && !r.prefs.Local(x.Zone) {
				victim = i
			}
		case mesh.HubAndSpoke:
			if victim < 0 && !r.prefs.Local(x.Zone) && perZone[x.Zone] > 2 {
				victim = i
			}
		}
	}
	if victim < 0 {
		return
	}
	var better []peer.ID
	var best *peerState
	for _, p := range t.peers.Slice() {
		ps := r.peers[p]
		// Only a peer that earned a positive score is swapped in: a
		// fresh peer that is merely near or fast may be an attacker
		// placed so, and would push out a peer that proved useful.
		if r.scorer != nil && r.score(p) <= 0 {
			continue
		}
		if r.prefs.Strategy == mesh.PreferFast {
			if ps.rtt > 0 && ps.rtt < c[victim].RTT*3/4 && (best == nil || ps.rtt < best.rtt) && r.graftable(now, t, p) {
				best = ps
			}
		} else if r.prefs.Local(ps.opts.Zone) && r.graftable(now, t, p) {
			better = append(better, p)
		}
	}
	if len(better) > 0 {
		best = r.peers[better[r.rng.IntN(len(better))]]
	}
	if best == nil {
		return
	}
	r.stats.StrategySwaps++
	r.graft(now, t, best.id)
	r.prune(now, t, c[victim].ID, true, r.p.PruneBackoff)
}
