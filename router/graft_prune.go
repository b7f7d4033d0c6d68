package router

import (
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// graftable reports whether p may join t's mesh now: connected, not
// direct, out of backoff by at least one heartbeat (so that the peer, whose
// backoff started when our PRUNE reached it, does not see a GRAFT inside
// its own), score ≥ 0.
func (r *Router) graftable(now time.Time, t *topicState, p peer.ID) bool {
	ps := r.peers[p]
	return ps != nil && !ps.opts.Direct && !t.mesh.Has(p) &&
		!r.backoff.Blocks(t.name, p, now, r.p.HeartbeatInterval) && r.score(p) >= 0
}

// graftCandidates returns up to n graftable topic peers not in the mesh,
// outbound ones only when outboundOnly, chosen by the strategy given the
// mesh (at random under Uniform).
func (r *Router) graftCandidates(now time.Time, t *topicState, n int, outboundOnly bool) []peer.ID {
	var c []peer.ID
	for _, p := range t.peers.Slice() {
		if r.graftable(now, t, p) && (!outboundOnly || r.peers[p].opts.Direction == Outbound) {
			c = append(c, p)
		}
	}
	return r.pick(t.mesh.Slice(), c, n)
}

// graft adds p to t's mesh and sends it GRAFT.
func (r *Router) graft(now time.Time, t *topicState, p peer.ID) {
	t.addMesh(p)
	m := r.rpcFor(r.peers[p])
	m.Graft = append(m.Graft, rpc.Graft{Topic: t.name})
	r.stats.GraftSent++
	if r.scorer != nil {
		r.scorer.Graft(now, p, t.name)
	}
	r.emit(Event{Kind: EventGraft, Peer: p, Topic: t.name})
}

// prune removes p from t's mesh (if there) and sends it PRUNE with backoff
// and, when doPX, peer exchange; p is backed off for as long.
func (r *Router) prune(now time.Time, t *topicState, p peer.ID, doPX bool, backoff time.Duration) {
	if t.removeMesh(p) {
		if r.scorer != nil {
			r.scorer.Prune(now, p, t.name)
		}
		r.emit(Event{Kind: EventPrune, Peer: p, Topic: t.name})
	}
	r.backoff.Set(t.name, p, now, now.Add(backoff))
	r.sendPrune(t, p, doPX, backoff)
}

// sendPrune queues a PRUNE for p (gossipsub-v1.1.md "Prune Backoff and Peer
// Exchange"): PX offers up to PrunePeers other topic peers scoring ≥ 0,
// only to a peer scoring ≥ 0.
func (r *Router) sendPrune(t *topicState, p peer.ID, doPX bool, backoff time.Duration) {
	ps := r.peers[p]
	if ps == nil {
		return
	}
	pr := rpc.Prune{Topic: t.name, Backoff: uint64((backoff + time.Second - 1) / time.Second)}
	if doPX && r.p.PrunePeers > 0 && r.score(p) >= 0 {
		pr.Peers = r.pxPeers(t, p)
	}
	m := r.rpcFor(ps)
	m.Prune = append(m.Prune, pr)
	r.stats.PruneSent++
}

// pxPeers picks up to PrunePeers random topic peers other than p, not
// direct, scoring ≥ 0, with their address records.
func (r *Router) pxPeers(t *topicState, p peer.ID) []rpc.PeerInfo {
	var c []peer.ID
	for _, q := range t.peers.Slice() {
		if q != p && !r.peers[q].opts.Direct && r.score(q) >= 0 {
			c = append(c, q)
		}
	}
	r.rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	if len(c) > r.p.PrunePeers {
		c = c[:r.p.PrunePeers]
	}
	px := make([]rpc.PeerInfo, len(c))
	for i, q := range c {
		id := q
		px[i] = rpc.PeerInfo{ID: id[:], Record: r.peers[q].opts.Record}
	}
	return px
}
