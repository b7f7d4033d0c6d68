package router

import "github.com/gwyh/gwyh/rpc"

// handleIDontWant remembers the ids a peer does not want (gossipsub-v1.2.md),
// at most MaxIDontWantMessages per peer per heartbeat; the rest are
// dropped and counted.
func (r *Router) handleIDontWant(ps *peerState, d *rpc.IDontWant) {
	for _, id := range d.IDs {
		r.stats.IDontWantRecv++
		if !ps.dontWant.Add(id) {
			r.stats.Drops[DropIDontWantFlood]++
		}
	}
}
