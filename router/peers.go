package router

import (
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// AddPeer adds a connected peer and announces the router's subscriptions
// to it. Adding a peer already present, or the router's own ID, does
// nothing; a blacklisted peer is refused with an EventBlacklisted (end its
// connection). The router keeps opts.Record.
func (r *Router) AddPeer(now time.Time, id peer.ID, opts PeerOptions) {
	r.begin(now)
	if id == r.id || r.peers[id] != nil {
		return
	}
	if _, ok := r.blacklist[id]; ok {
		r.emit(Event{Kind: EventBlacklisted, Peer: id})
		return
	}
	ps := &peerState{id: id, opts: opts}
	ps.dontWant.Reset(r.p.MaxIDontWantMessages, r.p.IDontWantTTL)
	r.claimSend(ps)
	r.peers[id] = ps
	r.peerList.Add(id)
	if opts.Direct {
		r.direct.Add(id)
	}
	if r.scorer != nil {
		r.scorer.AddPeer(now, id, opts.IP)
		if r.refs != nil {
			ps.sref = r.refs.Ref(id)
		}
	}
	if len(r.joined) > 0 {
		m := r.rpcFor(ps)
		for _, t := range r.joined {
			m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: true, Topic: t})
		}
	}
}

// claimSend makes a re-added peer reuse the Send an earlier incarnation
// already has in the current Output, so that each peer has at most one.
func (r *Router) claimSend(ps *peerState) {
	for i := range r.out.Sends {
		if r.out.Sends[i].To == ps.id {
			ps.sendEpoch, ps.sendIdx = r.outEpoch, i
			return
		}
	}
}

// RemovePeer forgets a disconnected peer: it leaves every mesh, fan-out
// and topic. Its backoffs stay until they expire. Removing an unknown peer
// does nothing.
func (r *Router) RemovePeer(now time.Time, id peer.ID) {
	r.begin(now)
	ps := r.peers[id]
	if ps == nil {
		return
	}
	for _, name := range ps.topics.sorted() {
		t := r.topics[name]
		t.peers.Remove(id)
		t.fanout.Remove(id)
		t.changed()
		if t.joined {
			r.emit(Event{Kind: EventUnsubscribe, Peer: id, Topic: name})
		}
		r.gcTopic(t)
	}
	for _, name := range r.joined {
		t := r.topics[name]
		if t.removeMesh(id) {
			r.emit(Event{Kind: EventPrune, Peer: id, Topic: name})
		}
	}
	delete(r.peers, id)
	r.peerList.Remove(id)
	r.direct.Remove(id)
	delete(r.scores, id)
	if r.scorer != nil {
		r.scorer.RemovePeer(now, id)
	}
}

// score returns p's score: 0 without a Scorer, else memoised for the
// duration of one input (a heartbeat asks for the same peer many times).
func (r *Router) score(p peer.ID) float64 {
	if r.scorer == nil {
		return 0
	}
	if ps := r.peers[p]; ps != nil {
		if ps.memoIn == r.inputSeq+1 {
			return ps.memoS
		}
		return r.freshScoreOf(ps)
	}
	if m, ok := r.scores[p]; ok && m.input == r.inputSeq {
		return m.s
	}
	return r.freshScore(p)
}

// freshScore returns p's score from the Scorer and memoises it.
func (r *Router) freshScore(p peer.ID) float64 {
	if r.scorer == nil {
		return 0
	}
	if ps := r.peers[p]; ps != nil {
		return r.freshScoreOf(ps)
	}
	s := r.scorer.Score(p)
	r.scores[p] = scoreMemo{input: r.inputSeq, s: s}
	return s
}

// freshScoreOf is freshScore for a connected peer already looked up: its
// memo lives in ps, and the Scorer is read through ps's handle when it
// offers one.
func (r *Router) freshScoreOf(ps *peerState) float64 {
	var s float64
	if r.refs != nil {
		s = r.refs.ScoreRef(ps.sref)
	} else {
		s = r.scorer.Score(ps.id)
	}
	ps.memoIn, ps.memoS = r.inputSeq+1, s
	return s
}

// scoreMemo is a score read during input number input.
type scoreMemo struct {
	input uint64
	s     float64
}

// SetPeerZone records a connected peer's zone (membership may learn it
// after the session came up). The strategies use it from the next choice
// on (the order of copies from the next message); nothing is regrafted at
// once. Unknown peers are ignored.
func (r *Router) SetPeerZone(now time.Time, id peer.ID, zone string) {
	r.begin(now)
	if ps := r.peers[id]; ps != nil && ps.opts.Zone != zone {
		ps.opts.Zone = zone
		r.placementMoved()
	}
}

// SetRTT records a connected peer's smoothed round-trip time, as the
// transport measures it (the simulator: as a node would). PreferFast
// ranks peers by it, and every strategy but Uniform orders a message's
// copies by it within a zone; a peer without one ranks after every
// measured peer. The send orders are rebuilt when a peer's RTT moved by
// more than an eighth since it last reordered them, not at every call.
// Unknown peers and rtt ≤ 0 are ignored.
func (r *Router) SetRTT(now time.Time, id peer.ID, rtt time.Duration) {
	r.begin(now)
	if ps := r.peers[id]; ps != nil && rtt > 0 {
		ps.rtt = rtt
		if rttMoved(ps.orderRTT, rtt) {
			ps.orderRTT = rtt
			r.placementMoved()
		}
	}
}

// Placement returns what the strategy knows of a connected peer: its zone
// and RTT (zero values for an unknown peer).
func (r *Router) Placement(id peer.ID) mesh.Placed {
	if ps := r.peers[id]; ps != nil {
		return ps.placed()
	}
	return mesh.Placed{ID: id}
}

// placed returns the peer as a strategy sees it.
func (ps *peerState) placed() mesh.Placed {
	return mesh.Placed{ID: ps.id, Zone: ps.opts.Zone, RTT: ps.rtt}
}
