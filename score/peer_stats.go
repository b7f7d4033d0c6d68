package score

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// peerStats are the counters kept for one peer, connected or retained.
type peerStats struct {
	connected bool
	handle    peerHandle // its name in delivery records (peerHandles)
	expire    time.Time  // when a retained (disconnected) peer is forgotten
	ip        netip.Addr // unmapped; invalid when unknown
	// topics holds the stats of scored topics only, sorted by name so
	// that sums over topics are bit-reproducible.
	topics           []topicStats
	behaviourPenalty float64 // P7 counter

	// topicsScore caches the capped sum over topics; stale says it must
	// be recomputed. Everything that may change a topicStats sets stale:
	// topic and topicOrAdd, which hand out pointers, and the loops over
	// topics in RemovePeer, advance and Refresh.
	topicsScore float64
	stale       bool
}

// topicStats are the counters of one peer in one scored topic.
type topicStats struct {
	topic  string
	params *TopicParams

	inMesh    bool
	graftTime time.Time
	meshTime  time.Duration // updated at Graft (0) and Refresh

	firstMessageDeliveries      float64 // P2
	meshMessageDeliveries       float64 // P3 counter
	meshMessageDeliveriesActive bool
	// choked: the router choked the peer (router.ChokeScorer): it sends
	// IHAVE, not messages, so P3 does not count; p3Since is when P3's
	// activation clock last started (Graft, or Unchoke).
	choked                   bool
	p3Since                  time.Time
	meshFailurePenalty       float64 // P3b
	invalidMessageDeliveries float64 // P4 counter
}

// topic returns the stats of topic for update, or nil when there are
// none yet.
func (ps *peerStats) topic(topic string) *topicStats {
	ps.stale = true
	i, ok := slices.BinarySearchFunc(ps.topics, topic, cmpTopic)
	if !ok {
		return nil
	}
	return &ps.topics[i]
}

// topicOrAdd returns the stats of topic for update, creating them. The
// pointer is valid until the next topicOrAdd on ps.
func (ps *peerStats) topicOrAdd(topic string, tp *TopicParams) *topicStats {
	ps.stale = true
	return ps.topicOrAddQuiet(topic, tp)
}

// topicOrAddQuiet is topicOrAdd that marks ps stale only when it adds the
// topic: a caller that changes the stats it returns must set ps.stale.
// The duplicate path uses it, where most copies change nothing and the
// cached score can stay.
func (ps *peerStats) topicOrAddQuiet(topic string, tp *TopicParams) *topicStats {
	i, ok := slices.BinarySearchFunc(ps.topics, topic, cmpTopic)
	if !ok {
		ps.stale = true
		ps.topics = slices.Insert(ps.topics, i, topicStats{topic: topic, params: tp})
	}
	return &ps.topics[i]
}

func cmpTopic(ts topicStats, topic string) int { return strings.Compare(ts.topic, topic) }

// addFirstDelivery credits a first delivery (P2, and P3 when in mesh).
func (ts *topicStats) addFirstDelivery() {
	tp := ts.params
	ts.firstMessageDeliveries = min(ts.firstMessageDeliveries+1, tp.FirstMessageDeliveriesCap)
	ts.addMeshDelivery()
}

// addMeshDelivery credits a first or near-first delivery by a mesh peer
// and says whether the counter moved (not in mesh, or at the cap: no).
func (ts *topicStats) addMeshDelivery() bool {
	if !ts.inMesh {
		return false
	}
	n := min(ts.meshMessageDeliveries+1, ts.params.MeshMessageDeliveriesCap)
	if n == ts.meshMessageDeliveries {
		return false
	}
	ts.meshMessageDeliveries = n
	return true
}

// meshDeficit returns threshold − counter when P3 is active and below
// threshold, else 0.
func (ts *topicStats) meshDeficit() float64 {
	th := ts.params.MeshMessageDeliveriesThreshold
	if ts.meshMessageDeliveriesActive && !ts.choked && ts.meshMessageDeliveries < th {
		return th - ts.meshMessageDeliveries
	}
	return 0
}

// leaveMesh takes the peer out of our mesh, adding the P3 deficit² to the
// sticky P3b penalty.
func (ts *topicStats) leaveMesh() {
	if !ts.inMesh {
		return
	}
	d := ts.meshDeficit()
	ts.meshFailurePenalty += d * d
	ts.inMesh = false
	ts.meshMessageDeliveriesActive = false
	ts.choked = false
}

// decay applies steps decay steps to every decaying counter.
func (ts *topicStats) decay(steps int64, toZero float64) {
	tp := ts.params
	ts.firstMessageDeliveries = decayCounter(ts.firstMessageDeliveries, tp.FirstMessageDeliveriesDecay, toZero, steps)
	ts.meshMessageDeliveries = decayCounter(ts.meshMessageDeliveries, tp.MeshMessageDeliveriesDecay, toZero, steps)
	ts.meshFailurePenalty = decayCounter(ts.meshFailurePenalty, tp.MeshFailurePenaltyDecay, toZero, steps)
	ts.invalidMessageDeliveries = decayCounter(ts.invalidMessageDeliveries, tp.InvalidMessageDeliveriesDecay, toZero, steps)
}
