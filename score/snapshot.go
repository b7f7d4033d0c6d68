package score

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// TopicComponents are the per-topic score components P1..P4, either raw
// (P1 in quanta, capped; P2 the counter; P3 the deficit² while active; P3b
// the penalty; P4 the counter²) or multiplied by their weights.
type TopicComponents struct {
	P1, P2, P3, P3b, P4 float64
}

// TopicScore is one peer's score in one scored topic.
type TopicScore struct {
	Topic    string
	InMesh   bool
	Raw      TopicComponents
	Weighted TopicComponents // each raw component times its weight
	// Score is TopicWeight times the sum of Weighted.
	Score float64
}

// PeerScore is a breakdown of one peer's score, as Snapshot returns it.
// The fields are copies owned by the caller.
type PeerScore struct {
	Peer      peer.ID
	Connected bool
	// RetainedFor is how long a disconnected peer's counters are still
	// kept after the snapshot's now; 0 for a connected peer.
	RetainedFor time.Duration
	IP          netip.Addr
	Topics      []TopicScore // sorted by topic
	// TopicsScore is the sum of Topics[i].Score after TopicScoreCap.
	TopicsScore float64
	// P5, P6, P7 are raw; W5, W6, W7 the same times their weights.
	P5, P6, P7 float64
	W5, W6, W7 float64
	// Score equals Scorer.Score(Peer) at the time of the snapshot.
	Score float64
}

// Snapshot returns the score breakdown of every known peer, connected or
// retained, sorted by peer ID. now only sets RetainedFor; it changes no
// state.
func (s *Scorer) Snapshot(now time.Time) []PeerScore {
	ids := make([]peer.ID, 0, len(s.peers))
	for id := range s.peers {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, peer.ID.Compare)
	out := make([]PeerScore, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.peerScore(now, id, s.peers[id]))
	}
	return out
}

func (s *Scorer) peerScore(now time.Time, id peer.ID, ps *peerStats) PeerScore {
	r := PeerScore{Peer: id, Connected: ps.connected, IP: ps.ip}
	if !ps.connected {
		r.RetainedFor = max(ps.expire.Sub(now), 0)
	}
	for i := range ps.topics {
		ts := &ps.topics[i]
		t := TopicScore{Topic: ts.topic, InMesh: ts.inMesh, Raw: rawTopic(ts)}
		t.Weighted = weighted(ts.params, t.Raw)
		t.Score = topicScore(ts)
		r.Topics = append(r.Topics, t)
	}
	r.TopicsScore = s.topicsScore(ps)
	r.P5, r.P6, r.P7 = s.p5(id), s.p6(ps), s.p7(ps)
	r.W5 = s.params.AppSpecificWeight * r.P5
	r.W6 = s.params.IPColocationFactorWeight * r.P6
	r.W7 = s.params.BehaviourPenaltyWeight * r.P7
	r.Score = r.TopicsScore + r.W5 + r.W6 + r.W7
	return r
}
