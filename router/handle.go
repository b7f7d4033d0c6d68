package router

import (
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// HandleRPC handles one decoded RPC from peer from: subscriptions first,
// then IDONTWANT, messages, IHAVE, IWANT, GRAFT and PRUNE. The router takes
// ownership of m's memory (its messages are cached and forwarded): the
// caller must not modify it afterwards, though it may reuse the RPC struct
// and its top-level slices. RPCs from unknown or graylisted peers are
// dropped and counted.
func (r *Router) HandleRPC(now time.Time, from peer.ID, m *rpc.RPC) {
	r.begin(now)
	ps := r.admit(from)
	if ps == nil {
		return
	}
	r.handleRPC(now, ps, m)
}

// admit returns the state of a known, not graylisted peer, or counts the
// drop and returns nil.
func (r *Router) admit(from peer.ID) *peerState {
	ps := r.peers[from]
	if ps == nil {
		r.dropUnknown(from)
		return nil
	}
	return r.admitKnown(ps)
}

// admitKnown is admit for a peer already looked up: it counts the RPC and
// returns ps, or counts a graylisted peer's drop and returns nil.
func (r *Router) admitKnown(ps *peerState) *peerState {
	r.stats.RPCsIn++
	if r.scorer != nil && !ps.opts.Direct && r.freshScoreOf(ps) < r.th.GraylistThreshold {
		r.stats.Drops[DropGraylisted]++
		r.emit(Event{Kind: EventGraylisted, Peer: ps.id})
		return nil
	}
	return ps
}

func (r *Router) handleRPC(now time.Time, ps *peerState, m *rpc.RPC) {
	for i := range m.Subscriptions {
		r.handleSub(now, ps, &m.Subscriptions[i])
	}
	for i := range m.IDontWant {
		r.handleIDontWant(ps, &m.IDontWant[i])
	}
	for i := range m.Publish {
		r.handleMessage(now, ps, &m.Publish[i])
	}
	if len(m.IHave) > 0 {
		r.handleIHave(now, ps, m.IHave)
	}
	if len(m.IWant) > 0 {
		r.handleIWant(ps, m.IWant)
	}
	for i := range m.Graft {
		r.handleGraft(now, ps, m.Graft[i].Topic)
	}
	for i := range m.Prune {
		r.handlePrune(now, ps, &m.Prune[i])
	}
	for i := range m.Choke {
		r.handleChoke(ps, m.Choke[i].Topic, true)
	}
	for i := range m.Unchoke {
		r.handleChoke(ps, m.Unchoke[i].Topic, false)
	}
}

// handleSub records a peer joining or leaving a topic. A peer that leaves
// a topic leaves our mesh and fan-out for it too.
func (r *Router) handleSub(now time.Time, ps *peerState, s *rpc.SubOpts) {
	if s.Topic == "" {
		r.stats.Drops[DropNoTopic]++
		return
	}
	had := ps.topics.has(s.Topic)
	if s.Subscribe {
		if had {
			return
		}
		if ps.topics.len() >= r.cfg.MaxPeerTopics {
			r.drop(DropTooManyTopics, Event{Peer: ps.id, Topic: s.Topic})
			return
		}
		t := r.topic(s.Topic)
		ps.topics.add(t.name) // the topic's own string, not the payload's arena's
		t.peers.Add(ps.id)
		t.changed()
		if t.joined {
			r.emit(Event{Kind: EventSubscribe, Peer: ps.id, Topic: t.name})
		}
		return
	}
	if !had {
		return
	}
	ps.topics.remove(s.Topic)
	t := r.topics[s.Topic]
	t.peers.Remove(ps.id)
	t.changed()
	if t.joined {
		r.emit(Event{Kind: EventUnsubscribe, Peer: ps.id, Topic: t.name})
	}
	t.fanout.Remove(ps.id)
	if t.removeMesh(ps.id) {
		if r.scorer != nil {
			r.scorer.Prune(now, ps.id, t.name)
		}
		r.emit(Event{Kind: EventPrune, Peer: ps.id, Topic: t.name})
	}
	r.gcTopic(t)
}
