package router

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// startFanout chooses up to D fan-out peers for a topic we publish to
// without joining it (gossipsub-v1.0.md "Fanout"): not direct, scoring at
// least PublishThreshold.
func (r *Router) startFanout(now time.Time, t *topicState) {
	t.inFan = true
	t.lastPub = now
	t.changed()
	r.fanouts = insertSorted(r.fanouts, t.name)
	r.topUpFanout(t)
}

// stopFanout forgets t's fan-out.
func (r *Router) stopFanout(t *topicState) {
	t.inFan = false
	t.fanout.Clear()
	t.changed()
	r.fanouts = removeSorted(r.fanouts, t.name)
}

// topUpFanout adds eligible topic peers until the fan-out has D, chosen
// by the strategy given the fan-out's other peers (at random under
// Uniform).
func (r *Router) topUpFanout(t *topicState) {
	need := r.p.D - t.fanout.Len()
	if need <= 0 {
		return
	}
	var ids []peer.ID
	for _, p := range t.peers.Slice() {
		if !t.fanout.Has(p) && r.fanoutable(p) {
			ids = append(ids, p)
		}
	}
	ids = r.pick(t.fanout.Slice(), ids, need)
	for _, p := range ids {
		t.fanout.Add(p)
	}
	if len(ids) > 0 {
		t.changed()
	}
}

// fanoutable reports whether p may be a fan-out peer.
func (r *Router) fanoutable(p peer.ID) bool {
	ps := r.peers[p]
	return ps != nil && !ps.opts.Direct && (r.scorer == nil || r.score(p) >= r.th.PublishThreshold)
}

// maintainFanout expires fan-outs not published to within FanoutTTL, drops
// peers that fell below PublishThreshold, tops the rest up to D and gossips
// to topic peers outside the fan-out.
func (r *Router) maintainFanout(now time.Time) {
	for _, name := range slices.Clone(r.fanouts) {
		t := r.topics[name]
		if !now.Before(t.lastPub.Add(r.p.FanoutTTL)) {
			r.stopFanout(t)
			r.gcTopic(t)
			continue
		}
		for _, p := range t.fanout.Clone() {
			if !r.fanoutable(p) {
				t.fanout.Remove(p)
				t.changed()
			}
		}
		r.topUpFanout(t)
		r.emitGossip(t, &t.fanout)
	}
}
