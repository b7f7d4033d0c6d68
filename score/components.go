package score

import "github.com/gwyh/gwyh/peer"

// The score function (GossipSub v1.1, "The Score Function"): P1..P4 per
// topic, weighted and capped; P5, P6, P7 global.

// Score returns p's current score; 0 for a peer the Scorer does not know.
// It reads the counters as of the last event or Refresh (P1 advances at
// Refresh) and does not allocate. The topic part is cached until p's
// counters change, so Score costs O(topics of p) once after a change and
// O(1) after that (plus the AppSpecificScore call).
func (s *Scorer) Score(p peer.ID) float64 {
	ps := s.peers[p]
	if ps == nil {
		return 0
	}
	return s.scoreOf(p, ps)
}

// scoreOf is Score for p's stats ps.
func (s *Scorer) scoreOf(p peer.ID, ps *peerStats) float64 {
	return s.topicsScore(ps) + s.params.AppSpecificWeight*s.p5(p) +
		s.params.IPColocationFactorWeight*s.p6(ps) +
		s.params.BehaviourPenaltyWeight*s.p7(ps)
}

// PeerRef is a handle on one peer's counters in a Scorer (Ref), for
// reading its score on a hot path (ScoreRef) and reporting its copies
// (DuplicateMessageRef, which finds the peer's name in delivery records
// there too) without looking it up by ID. The zero value is valid (both
// fall back to the lookup).
type PeerRef struct {
	ps *peerStats
	id peer.ID
}

// Ref returns a handle on p for ScoreRef. Take it after AddPeer (the
// router does, once per connection): while p stays connected its counters
// stay where the handle points.
func (s *Scorer) Ref(p peer.ID) PeerRef { return PeerRef{ps: s.peers[p], id: p} }

// ScoreRef returns exactly Score of r's peer. A connected peer's counters
// are never replaced (AddPeer reuses them, only Refresh forgets a
// disconnected peer's), so while the handle's peer is connected they are
// the ones Score would find; otherwise it looks the peer up as Score does.
func (s *Scorer) ScoreRef(r PeerRef) float64 {
	if r.ps == nil || !r.ps.connected {
		return s.Score(r.id)
	}
	return s.scoreOf(r.id, r.ps)
}

// topicsScore returns the sum of ps's topic scores, in topic order, capped
// at TopicScoreCap.
func (s *Scorer) topicsScore(ps *peerStats) float64 {
	if !ps.stale {
		return ps.topicsScore
	}
	var sum float64
	for i := range ps.topics {
		sum += topicScore(&ps.topics[i])
	}
	if c := s.params.TopicScoreCap; c > 0 && sum > c {
		sum = c
	}
	ps.topicsScore, ps.stale = sum, false
	return sum
}

// topicScore is TopicWeight · (w1·P1 + w2·P2 + w3·P3 + w3b·P3b + w4·P4).
func topicScore(ts *topicStats) float64 {
	raw := rawTopic(ts)
	w := weighted(ts.params, raw)
	return ts.params.TopicWeight * (w.P1 + w.P2 + w.P3 + w.P3b + w.P4)
}

// rawTopic returns the unweighted components P1..P4 of ts.
func rawTopic(ts *topicStats) TopicComponents {
	tp := ts.params
	var c TopicComponents
	if ts.inMesh && tp.TimeInMeshQuantum > 0 {
		c.P1 = min(float64(ts.meshTime)/float64(tp.TimeInMeshQuantum), tp.TimeInMeshCap)
	}
	c.P2 = ts.firstMessageDeliveries
	d := ts.meshDeficit()
	c.P3 = d * d
	c.P3b = ts.meshFailurePenalty
	c.P4 = ts.invalidMessageDeliveries * ts.invalidMessageDeliveries
	return c
}

func weighted(tp *TopicParams, raw TopicComponents) TopicComponents {
	return TopicComponents{
		P1:  tp.TimeInMeshWeight * raw.P1,
		P2:  tp.FirstMessageDeliveriesWeight * raw.P2,
		P3:  tp.MeshMessageDeliveriesWeight * raw.P3,
		P3b: tp.MeshFailurePenaltyWeight * raw.P3b,
		P4:  tp.InvalidMessageDeliveriesWeight * raw.P4,
	}
}

// p5 is the application-specific score.
func (s *Scorer) p5(p peer.ID) float64 {
	if s.params.AppSpecificScore == nil {
		return 0
	}
	return s.params.AppSpecificScore(p)
}

// p6 is (peers on p's IP − threshold)² above the threshold, 0 for an
// unknown or whitelisted IP.
func (s *Scorer) p6(ps *peerStats) float64 {
	if !ps.ip.IsValid() || s.params.IPColocationFactorWeight == 0 {
		return 0
	}
	for _, pr := range s.whitelist {
		if pr.Contains(ps.ip) {
			return 0
		}
	}
	surplus := s.ips[ps.ip] - s.params.IPColocationFactorThreshold
	if surplus <= 0 {
		return 0
	}
	return float64(surplus) * float64(surplus)
}

// p7 is (counter − threshold)² above the threshold.
func (s *Scorer) p7(ps *peerStats) float64 {
	excess := ps.behaviourPenalty - s.params.BehaviourPenaltyThreshold
	if excess <= 0 {
		return 0
	}
	return excess * excess
}
