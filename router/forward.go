package router

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// accept delivers a validated message locally, caches it for gossip and
// forwards it to the mesh and to direct peers.
func (r *Router) accept(now time.Time, from peer.ID, id string, m *rpc.Message, t *topicState) {
	r.acceptFrom(now, now, from, id, m, t, nil)
}

// acceptFrom is accept for a message first received at received that
// also came from the peers in also, which do not get it back.
func (r *Router) acceptFrom(now, received time.Time, from peer.ID, id string, m *rpc.Message, t *topicState, also []peer.ID) {
	r.stats.ValidationAccept++
	// From here on the message is the cache's compact copy: the received
	// payload it was decoded from (and the topic string decoded with it)
	// can go once this input's Output is acted on.
	m.Topic = t.name
	cm, ref := r.mcache.PutRef(id, m)
	m = &cm
	r.cached(ref, m)
	if r.scorer != nil {
		r.scorer.DeliverMessage(now, from, id, t.name)
	}
	src := author(m)
	r.stats.Delivered++
	r.out.Deliveries = append(r.out.Deliveries, Delivery{
		ID: id, Topic: t.name, Msg: *m, From: src, ReceivedFrom: from, Received: received,
	})
	r.forward(id, m, t, from, src, also)
}

// forward sends m to every mesh peer and every direct peer of the topic,
// except its sender, its author, the peers that sent copies while it was
// validating (also) and the peers that sent IDONTWANT for it
// (gossipsub-v1.0.md "Message Forwarding", v1.1 explicit peers, v1.2).
// Mesh peers' scores were checked at the heartbeat, not here.
func (r *Router) forward(id string, m *rpc.Message, t *topicState, from, src peer.ID, also []peer.ID) {
	for _, ps := range r.meshPeers(t) {
		if ps.id == from || ps.id == src || (len(also) > 0 && slices.Contains(also, ps.id)) {
			continue
		}
		if t.chokedUs(ps.id) {
			r.sendChokedIHave(ps, t, id)
			continue
		}
		r.sendMessage(ps, id, m)
	}
	if r.direct.Len() == 0 {
		return
	}
	for _, p := range r.direct.Slice() {
		if p == from || p == src || t.mesh.Has(p) || slices.Contains(also, p) {
			continue
		}
		ps := r.peers[p]
		if ps.topics.has(t.name) {
			r.sendMessage(ps, id, m)
		}
	}
}

// sendMessage queues m for ps unless ps said it does not want it, and
// returns the Send it went into (nil when not sent).
func (r *Router) sendMessage(ps *peerState, id string, m *rpc.Message) *Send {
	if ps == nil || ps.dontWant.Has(id) {
		return nil
	}
	s := r.rpcFor(ps)
	s.Publish = append(s.Publish, *m)
	r.stats.MsgsOut++
	return &r.out.Sends[ps.sendIdx]
}
