package router

import "time"

// handleGraft handles one GRAFT (gossipsub-v1.1.md "Spam Protection",
// "Explicit Peering Agreements", "Outbound Mesh Quotas"):
//   - unknown topic: ignored (counted);
//   - already in the mesh: nothing;
//   - from a direct peer: PRUNE;
//   - during backoff: P7 penalty (two within GraftFloodThreshold of the
//     prune), backoff extended, PRUNE without PX;
//   - negative score: PRUNE without PX, backoff;
//   - mesh at Dhi and the peer inbound: PRUNE with PX, backoff
//     FullMeshBackoff (PruneBackoff when 0);
//   - else the peer joins the mesh.
func (r *Router) handleGraft(now time.Time, ps *peerState, topic string) {
	r.stats.GraftRecv++
	t := r.topics[topic]
	if t == nil || !t.joined {
		r.drop(DropGraftUnknownTopic, Event{Peer: ps.id, Topic: topic})
		return
	}
	p := ps.id
	switch {
	case t.mesh.Has(p):
		return
	case ps.opts.Direct:
		r.sendPrune(t, p, false, r.p.PruneBackoff)
		return
	}
	if r.backoff.Active(topic, p, now) {
		penalty := 1
		// A GRAFT within GraftFloodThreshold of the PRUNE is flooding.
		if since, _ := r.backoff.Since(topic, p); now.Before(since.Add(r.p.GraftFloodThreshold)) {
			penalty++
		}
		if r.scorer != nil {
			r.scorer.AddPenalty(p, penalty)
		}
		r.prune(now, t, p, false, r.p.PruneBackoff)
		return
	}
	if r.freshScore(p) < 0 {
		r.prune(now, t, p, false, r.p.PruneBackoff)
		return
	}
	if t.mesh.Len() >= r.p.Dhi && ps.opts.Direction != Outbound {
		backoff := r.p.PruneBackoff
		if r.p.FullMeshBackoff > 0 {
			backoff = r.p.FullMeshBackoff
		}
		r.prune(now, t, p, true, backoff)
		return
	}
	t.addMesh(p)
	if r.scorer != nil {
		r.scorer.Graft(now, p, topic)
	}
	r.emit(Event{Kind: EventGraft, Peer: p, Topic: topic})
}
