package router

import "github.com/gwyh/gwyh/rpc"

// handleIWant serves IWANT from the message cache (gossipsub-v1.0.md,
// v1.1 "Spam Protection Measures"): nothing to a peer below
// GossipThreshold; each message at most GossipRetransmission times per
// peer; never a message the peer sent IDONTWANT for (v1.2); never one
// whose body the cache evicted over its byte budget (counted apart).
func (r *Router) handleIWant(ps *peerState, iws []rpc.IWant) {
	if r.scorer != nil && r.freshScoreOf(ps) < r.th.GossipThreshold {
		for i := range iws {
			r.stats.Drops[DropIWantIgnored] += uint64(len(iws[i].IDs))
		}
		return
	}
	for i := range iws {
		for _, id := range iws[i].IDs {
			r.stats.IWantRecv++
			if ps.dontWant.Has(id) {
				continue
			}
			m, n, ok := r.mcache.GetForPeer(id, ps.id)
			switch {
			case !ok && r.mcache.Evicted(id):
				r.stats.Drops[DropIWantEvicted]++
			case !ok:
				r.stats.Drops[DropIWantMiss]++
			case n > r.p.GossipRetransmission:
				r.stats.Drops[DropIWantRetransmit]++
			default:
				s := r.rpcFor(ps)
				s.Publish = append(s.Publish, m)
				r.stats.MsgsOut++
			}
		}
	}
}
