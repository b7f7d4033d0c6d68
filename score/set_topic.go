package score

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// SetTopicParams sets topic's score parameters while the Scorer runs
// (go-libp2p-pubsub's Topic.SetScoreParams). tp must pass Validate; it is
// copied. Decay up to now runs under the old parameters; from now on
// every peer's counters in topic are scored, decayed and capped by tp,
// counters above tp's lower caps are cut to them, and score caches are
// dropped. When topic was not scored before, mesh lists the peers now in
// our mesh of it: their P1 and P3 activation clocks start at now, as if
// grafted (no history is invented). On error nothing changes.
func (s *Scorer) SetTopicParams(now time.Time, topic string, tp TopicParams, mesh []peer.ID) error {
	if err := tp.Validate(); err != nil {
		return fmt.Errorf("score: SetTopicParams %q: %w", topic, err)
	}
	s.advance(now)
	old := s.topics[topic]
	if old == nil {
		c := tp
		s.topics[topic] = &c
		for _, p := range mesh {
			if ps := s.peers[p]; ps != nil && ps.connected {
				s.Graft(now, p, topic)
			}
		}
		return nil
	}
	*old = tp // shared by every peer's topicStats of topic
	for _, ps := range s.peers {
		if ts := ps.topic(topic); ts != nil { // marks ps stale
			ts.firstMessageDeliveries = min(ts.firstMessageDeliveries, tp.FirstMessageDeliveriesCap)
			ts.meshMessageDeliveries = min(ts.meshMessageDeliveries, tp.MeshMessageDeliveriesCap)
		}
	}
	return nil
}
