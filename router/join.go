package router

import (
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// Join subscribes to topic (gossipsub-v1.0.md "JOIN"): the subscription is
// announced to every peer, the fan-out peers of the topic are grafted
// first, then topic peers chosen by the strategy (at random under
// Uniform) up to D. Returns ErrEmptyTopic or
// ErrJoined (state unchanged).
func (r *Router) Join(now time.Time, topic string) error {
	r.begin(now)
	if topic == "" {
		return ErrEmptyTopic
	}
	t := r.topic(topic)
	if t.joined {
		return ErrJoined
	}
	t.joined = true
	t.changed()
	r.joined = insertSorted(r.joined, topic)
	if r.scorer != nil {
		r.scorer.Join(now, topic)
	}
	r.announce(topic, true)
	if t.inFan {
		for _, p := range t.fanout.Clone() {
			if t.mesh.Len() < r.p.D && r.graftable(now, t, p) {
				r.graft(now, t, p)
			}
		}
		r.stopFanout(t)
	}
	if need := r.p.D - t.mesh.Len(); need > 0 {
		for _, p := range r.graftCandidates(now, t, need, false) {
			r.graft(now, t, p)
		}
	}
	return nil
}

// Leave unsubscribes from topic (gossipsub-v1.0.md "LEAVE"): the change is
// announced to every peer and each mesh peer gets a PRUNE carrying
// UnsubscribeBackoff. Returns ErrNotJoined (state unchanged).
func (r *Router) Leave(now time.Time, topic string) error {
	r.begin(now)
	t := r.topics[topic]
	if t == nil || !t.joined {
		return ErrNotJoined
	}
	r.announce(topic, false)
	for _, p := range t.mesh.Clone() {
		r.prune(now, t, p, true, r.p.UnsubscribeBackoff)
	}
	t.joined = false
	t.changed()
	r.joined = removeSorted(r.joined, topic)
	if r.scorer != nil {
		r.scorer.Leave(now, topic)
	}
	r.gcTopic(t)
	return nil
}

// announce tells every peer that we joined or left topic.
func (r *Router) announce(topic string, sub bool) {
	for _, p := range r.peerList.Slice() {
		m := r.rpcFor(r.peers[p])
		m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: sub, Topic: topic})
	}
}
