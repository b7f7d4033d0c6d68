package router

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// Publish publishes data to topic and returns the message's id
// (gossipsub-v1.0.md "Message Publishing", v1.1 "Flood Publishing"). Under
// StrictSign the message carries the next seqno and is signed. It runs the
// topic's synchronous validator (not the asynchronous one), is delivered
// locally when the topic is joined, and goes to every topic peer scoring
// at least PublishThreshold when FloodPublish is on, else to the mesh (or
// the fan-out, chosen here when the topic is not joined), and to direct
// peers. The router keeps data: do not modify it afterwards. On error
// (ErrEmptyTopic, ErrDuplicate, ErrRejected) nothing is sent; only the
// seqno may have advanced.
func (r *Router) Publish(now time.Time, topic string, data []byte) (string, error) {
	r.begin(now)
	if topic == "" {
		return "", ErrEmptyTopic
	}
	m := rpc.Message{Data: data, Topic: topic}
	if r.cfg.SignaturePolicy == StrictSign {
		r.sign(&m)
	}
	r.idbuf = r.appendID(r.idbuf[:0], &m)
	if r.seen.HasBytes(r.idbuf) {
		return "", ErrDuplicate
	}
	if v := r.validators[topic]; v.Sync != nil {
		if res := v.Sync(r.id, &m); res != validator.Accept {
			return "", fmt.Errorf("%w: %v", ErrRejected, res)
		}
	}
	id := string(r.idbuf)
	t := r.topic(topic)
	r.publishChecked(now, t, id, &m, nil)
	r.gcTopic(t)
	return id, nil
}

// publishChecked publishes m, whose id is new and which passed the
// validator: it is marked seen, cached, delivered locally when t is
// joined, sent to the publish peers and reported in Output.Published.
// When sent is not nil, it is called with each peer the message was
// queued to, in order.
func (r *Router) publishChecked(now time.Time, t *topicState, id string, m *rpc.Message, sent func(p peer.ID)) {
	r.seen.AddNew(id, now)
	_, ref := r.mcache.PutRef(id, m)
	r.cached(ref, m)
	r.stats.Published++
	if t.joined {
		r.stats.Delivered++
		r.out.Deliveries = append(r.out.Deliveries, Delivery{
			ID: id, Topic: t.name, Msg: *m, From: author(m), ReceivedFrom: r.id, Local: true, Received: now,
		})
	}
	peers := r.publishPeers(now, t)
	dontWant := r.p.PublishIDontWant && len(m.From) == 0 && t.joined
	for _, ps := range peers {
		if s := r.sendMessage(ps, id, m); s != nil {
			s.Own = true
			if dontWant && t.mesh.Has(ps.id) {
				// Under StrictNoSign a receiver cannot tell the author:
				// this keeps a mesh peer whose first copy came from
				// elsewhere from sending ours back.
				appendIDontWant(&s.RPC, id)
				r.stats.IDontWantSent++
			}
			if sent != nil {
				sent(ps.id)
			}
		}
	}
	r.out.Published = append(r.out.Published, Published{ID: id, Topic: t.name, Peers: len(peers)})
}

// publishPeers returns the peers an own message goes to, in the strategy's
// send order (Prefs.Order; under Uniform sorted, and without FloodPublish
// the mesh or fan-out then the direct peers), in memory valid until the
// next input: with FloodPublish every topic peer scoring at least
// PublishThreshold and the direct ones, else the mesh (the fan-out when
// not joined) and the direct peers subscribed to t.
func (r *Router) publishPeers(now time.Time, t *topicState) []*peerState {
	if r.p.FloodPublish {
		out := r.pubBuf[:0]
		for _, ps := range r.order(t, &t.floodOrder, t.peers.Slice()) {
			if r.scorer == nil || ps.opts.Direct || r.score(ps.id) >= r.th.PublishThreshold {
				out = append(out, ps)
			}
		}
		r.pubBuf = out
		return out
	}
	set := &t.mesh
	if !t.joined {
		if !t.inFan {
			r.startFanout(now, t)
		}
		t.lastPub = now
		set = &t.fanout
	}
	o := &t.pubOrder
	if o.ver == t.ver && o.epoch == r.placeEpoch {
		return o.ps
	}
	var direct []peer.ID
	for _, p := range r.direct.Slice() {
		if r.peers[p].topics.has(t.name) {
			direct = append(direct, p)
		}
	}
	return r.order(t, o, set.Slice(), direct)
}
