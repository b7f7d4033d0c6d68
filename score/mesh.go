package score

import (
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Join records that we joined topic. It changes no score (mesh peers come
// with Graft); it only brings decay up to now.
func (s *Scorer) Join(now time.Time, topic string) {
	s.advance(now)
}

// Leave records that we left topic: every peer still in our mesh of topic
// is pruned as by Prune (a later Prune for them is a no-op).
func (s *Scorer) Leave(now time.Time, topic string) {
	s.advance(now)
	if s.topics[topic] == nil {
		return
	}
	for _, ps := range s.peers { // order-free: each peer is updated on its own
		if ts := ps.topic(topic); ts != nil {
			ts.leaveMesh()
		}
	}
}

// Graft records that p entered our mesh of topic: the P1 clock and the P3
// activation clock start at now. A graft of a peer already in the mesh
// restarts them; unknown peers and unscored topics are ignored.
func (s *Scorer) Graft(now time.Time, p peer.ID, topic string) {
	s.advance(now)
	tp := s.topics[topic]
	if tp == nil {
		return
	}
	ps := s.known(p)
	if ps == nil || !ps.connected {
		return
	}
	ts := ps.topicOrAdd(topic, tp)
	ts.inMesh = true
	ts.graftTime = now
	ts.meshTime = 0
	ts.meshMessageDeliveriesActive = false
	ts.choked = false
	ts.p3Since = now
}

// Choke records that the router choked mesh peer p in topic
// (router.ChokeScorer): p now sends IHAVE instead of messages, so P3 is
// inactive (no deficit, and none added to P3b if it leaves the mesh
// meanwhile) until Unchoke. P1 and P2 are unchanged. Peers not in the
// mesh and unscored topics are ignored.
func (s *Scorer) Choke(now time.Time, p peer.ID, topic string) {
	s.advance(now)
	if ts := s.meshTopic(p, topic); ts != nil {
		ts.choked = true
		ts.meshMessageDeliveriesActive = false
	}
}

// Unchoke records that the router unchoked p in topic: P3 counts again
// once MeshMessageDeliveriesActivation has passed from now, as after a
// graft, so that the peer has time to deliver.
func (s *Scorer) Unchoke(now time.Time, p peer.ID, topic string) {
	s.advance(now)
	if ts := s.meshTopic(p, topic); ts != nil && ts.choked {
		ts.choked = false
		ts.p3Since = now
	}
}

// meshTopic returns p's stats in topic when p is connected and in our mesh
// of it, else nil.
func (s *Scorer) meshTopic(p peer.ID, topic string) *topicStats {
	if s.topics[topic] == nil {
		return nil
	}
	ps := s.known(p)
	if ps == nil || !ps.connected {
		return nil
	}
	if ts := ps.topic(topic); ts != nil && ts.inMesh {
		return ts
	}
	return nil
}

// Prune records that p left our mesh of topic. If P3 was active and below
// its threshold, the deficit² is added to the sticky P3b penalty.
func (s *Scorer) Prune(now time.Time, p peer.ID, topic string) {
	s.advance(now)
	if s.topics[topic] == nil {
		return
	}
	ps := s.known(p)
	if ps == nil {
		return
	}
	if ts := ps.topic(topic); ts != nil {
		ts.leaveMesh()
	}
}
