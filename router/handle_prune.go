package router

import (
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// handlePrune handles one PRUNE (gossipsub-v1.1.md "Prune Backoff and Peer
// Exchange"): the sender leaves our mesh, we back off from it for the
// backoff it carries (PruneBackoff when zero, capped at a day), and its
// peer-exchange list becomes an EventPeerExchange when the sender scores
// at least AcceptPXThreshold. The router never dials.
func (r *Router) handlePrune(now time.Time, ps *peerState, pr *rpc.Prune) {
	r.stats.PruneRecv++
	t := r.topics[pr.Topic]
	if t == nil || !t.joined {
		return
	}
	if t.removeMesh(ps.id) {
		if r.scorer != nil {
			r.scorer.Prune(now, ps.id, t.name)
		}
		r.emit(Event{Kind: EventPrune, Peer: ps.id, Topic: t.name})
	}
	backoff := r.p.PruneBackoff
	if pr.Backoff > 0 {
		backoff = maxPruneBackoff
		if pr.Backoff < uint64(maxPruneBackoff/time.Second) {
			backoff = time.Duration(pr.Backoff) * time.Second
		}
	}
	r.backoff.Set(t.name, ps.id, now, now.Add(backoff))
	if len(pr.Peers) == 0 {
		return
	}
	if r.scorer != nil && r.freshScoreOf(ps) < r.th.AcceptPXThreshold {
		r.stats.Drops[DropBadPX] += uint64(len(pr.Peers))
		return
	}
	r.peerExchange(ps, t, pr.Peers)
}

// peerExchange emits the usable PX entries (at most PrunePeers; bad ids,
// ourselves, blacklisted peers and peers already connected are skipped) as
// one event.
func (r *Router) peerExchange(ps *peerState, t *topicState, infos []rpc.PeerInfo) {
	var px []PXPeer
	for i := range infos {
		if len(px) >= r.p.PrunePeers {
			r.stats.Drops[DropBadPX] += uint64(len(infos) - i)
			break
		}
		id, err := peer.IDFromBytes(infos[i].ID)
		if err != nil {
			r.stats.Drops[DropBadPX]++
			continue
		}
		if _, bl := r.blacklist[id]; bl || id == r.id || r.peers[id] != nil {
			continue
		}
		px = append(px, PXPeer{ID: id, Record: infos[i].Record})
	}
	if len(px) > 0 {
		r.emit(Event{Kind: EventPeerExchange, Peer: ps.id, Topic: t.name, PX: px})
	}
}
