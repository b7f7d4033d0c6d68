package router

import (
	"math"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// emitGossip sends IHAVE with the topic's recent message ids to
// max(Dlazy, GossipFactor × eligible) topic peers outside exclude (the
// mesh or fan-out), not direct, scoring ≥ GossipThreshold
// (gossipsub-v1.1.md "Adaptive Gossip Dissemination"), chosen by the
// strategy given exclude (at random under Uniform). At most
// MaxIHaveLength ids go to one peer, a random subset per peer.
func (r *Router) emitGossip(t *topicState, exclude *mesh.PeerSet) {
	// The ids live in an arena reused at every heartbeat: the Output that
	// references them is valid until the next input only.
	start := len(r.gossipArena)
	r.gossipArena = r.mcache.GossipIDs(r.gossipArena, t.name)
	ids := r.gossipArena[start:len(r.gossipArena):len(r.gossipArena)]
	if len(ids) == 0 {
		return
	}
	var c []peer.ID
	for _, p := range t.peers.Slice() {
		if exclude.Has(p) || r.peers[p].opts.Direct {
			continue
		}
		if r.scorer != nil && r.score(p) < r.th.GossipThreshold {
			continue
		}
		c = append(c, p)
	}
	n := max(r.p.Dlazy, int(math.Round(r.p.GossipFactor*float64(len(c)))))
	for _, p := range r.pick(exclude.Slice(), c, n) {
		send := ids
		if len(ids) > r.p.MaxIHaveLength {
			send = append([]string(nil), ids...)
			r.rng.Shuffle(len(send), func(i, j int) { send[i], send[j] = send[j], send[i] })
			send = send[:r.p.MaxIHaveLength]
		}
		m := r.rpcFor(r.peers[p])
		m.IHave = append(m.IHave, rpc.IHave{Topic: t.name, IDs: send})
		r.stats.IHaveSent++
	}
}
