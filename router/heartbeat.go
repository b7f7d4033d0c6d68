package router

import "time"

// Tick runs what is due at now: validation timeouts, and the heartbeat
// when now has reached it. Call it when now ≥ Ready().Deadline; calling it
// earlier is harmless. A Tick late by several intervals runs one heartbeat
// and schedules the next one interval after now.
func (r *Router) Tick(now time.Time) {
	r.begin(now)
	r.expireValidations(now)
	if now.Before(r.nextHeartbeat) {
		return
	}
	r.heartbeat(now)
	r.nextHeartbeat = r.nextHeartbeat.Add(r.p.HeartbeatInterval)
	if !r.nextHeartbeat.After(now) {
		r.nextHeartbeat = now.Add(r.p.HeartbeatInterval)
	}
}

// heartbeat is gossipsub-v1.0.md "Heartbeat" with the v1.1 additions: score
// refresh, broken promises, mesh maintenance and gossip per joined topic,
// fan-out maintenance and gossip, then the caches shift and expire.
func (r *Router) heartbeat(now time.Time) {
	r.stats.Heartbeats++
	r.heartbeats++
	clear(r.gossipArena)
	r.gossipArena = r.gossipArena[:0]
	if r.scorer != nil {
		r.scorer.Refresh(now)
	}
	for _, p := range r.peerList.Slice() {
		ps := r.peers[p]
		clear(ps.ihaves)
		ps.ihaves, ps.iasked = ps.ihaves[:0], 0
		ps.dontWant.Heartbeat()
	}
	r.applyBrokenPromises(now)
	for _, name := range r.joined {
		t := r.topics[name]
		r.maintainMesh(now, t)
		r.maintainChokes(now, t)
		r.emitGossip(t, &t.mesh)
	}
	r.maintainFanout(now)
	r.mcache.Shift()
	r.backoff.Expire(now, 2*r.p.HeartbeatInterval)
	r.seen.Expire(now)
}

// applyBrokenPromises penalises (P7) the peers whose IWANT promises
// expired unkept.
func (r *Router) applyBrokenPromises(now time.Time) {
	r.broken = r.promises.Expire(now, r.broken)
	for _, b := range r.broken {
		r.stats.BrokenPromises += uint64(b.Count)
		if r.scorer != nil {
			r.scorer.AddPenalty(b.Peer, b.Count)
		}
		r.emit(Event{Kind: EventBrokenPromise, Peer: b.Peer})
	}
}
