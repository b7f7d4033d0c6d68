package score

import (
	"net/netip"
	"time"
)

// DefaultParams returns a documented starting point for a typical cluster:
// one topic carrying a few tens of messages per second (≈ 20 msg/s),
// GossipSub D = 6 (so each mesh peer is first to deliver about 1/6 of the
// messages, ≈ 3 msg/s), a 1 s heartbeat, and decay at every heartbeat.
// Tune it with the simulator before relying on it; Validate accepts it.
//
// The scale: a well-behaved mesh peer tops out near +40 in the topic; one
// invalid message costs −10, three cost −90; a silent mesh peer sinks to
// about −50; thresholds (DefaultThresholds) sit at −100 / −200 / −400.
func DefaultParams(topic string) Params {
	tp := DefaultTopicParams()
	return Params{
		Topics: map[string]*TopicParams{topic: &tp},
		// Topics add up to at most +50: with several topics a peer cannot
		// buy immunity from P4/P6/P7 by being useful everywhere.
		TopicScoreCap: 50,
		// P5 is off unless the application supplies a function; weight 1
		// lets that function speak in score units directly (e.g. +1000
		// for bootstrap nodes, to pass AcceptPXThreshold).
		AppSpecificScore:  nil,
		AppSpecificWeight: 1,
		// P6: more than 3 peers from one IP is suspicious in a cluster
		// (a host rarely runs more nodes than that); the 4th costs −10
		// each, the 6th −90. Loopback is whitelisted so local demos and
		// tests, where every node is 127.0.0.1, are not penalised.
		IPColocationFactorWeight:    -10,
		IPColocationFactorThreshold: 3,
		IPColocationFactorWhitelist: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"),
			netip.MustParsePrefix("::1/128"),
		},
		// P7: two broken promises or early regrafts are forgiven (lossy
		// links happen); beyond that the square bites: 3 → −10, 5 → −90.
		// The counter forgets over 10 minutes.
		BehaviourPenaltyWeight:    -10,
		BehaviourPenaltyThreshold: 2,
		BehaviourPenaltyDecay:     ScoreParameterDecay(10 * time.Minute),
		// Decay at every 1 s heartbeat; counters under 0.01 are noise.
		DecayInterval: DefaultDecayInterval,
		DecayToZero:   DefaultDecayToZero,
		// A peer that disconnects keeps its (frozen) score for 10 minutes,
		// longer than a restart takes, so reconnecting washes nothing.
		RetainScore: 10 * time.Minute,
		// Delivery records live as long as the usual seen-cache (2 min);
		// 64k records cover 20 msg/s × 2 min many times over.
		DeliveryRecordTTL:  DefaultDeliveryRecordTTL,
		MaxDeliveryRecords: DefaultMaxDeliveryRecords,
	}
}

// DefaultTopicParams returns the per-topic part of DefaultParams, for a
// topic of ≈ 20 msg/s with D = 6 and a 1 s heartbeat.
func DefaultTopicParams() TopicParams {
	return TopicParams{
		// One topic: weight 1 keeps the numbers below in score units.
		TopicWeight: 1,
		// P1: +10 after an hour in the mesh (0.0027 × 3600 s ≈ 9.7),
		// counted per second. Small, so that age never outweighs a
		// penalty, but enough to prefer old peers on oversubscription.
		TimeInMeshWeight:  0.0027,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     3600,
		// P2: a mesh peer is first for ≈ 3.3 msg/s; decaying to zero in
		// 1 min (factor ≈ 0.926) the counter settles near 3.3/0.074 ≈ 45.
		// The cap of 60 (worth +30) lets a fast peer stand out without
		// letting a burst bank credit for long.
		FirstMessageDeliveriesWeight: 0.5,
		FirstMessageDeliveriesDecay:  ScoreParameterDecay(time.Minute),
		FirstMessageDeliveriesCap:    60,
		// P3: a mesh peer should deliver (first, or within 10 ms of the
		// first copy, or while it validates) at least ~1 msg/s: with the
		// same 1 min decay a threshold of 10 is far below the ≈ 45+ an
		// honest peer reaches, so only silent or censoring peers fall
		// under it. Deficit² × −0.5: a fully silent peer is at −50, below
		// 0, so it is pruned. Activation after 30 s gives a new peer time
		// to build its counter. Turn P3 off (weight 0) for topics without
		// steady traffic: quiet topics would punish honest peers.
		MeshMessageDeliveriesWeight:     -0.5,
		MeshMessageDeliveriesDecay:      ScoreParameterDecay(time.Minute),
		MeshMessageDeliveriesCap:        100,
		MeshMessageDeliveriesThreshold:  10,
		MeshMessageDeliveriesWindow:     10 * time.Millisecond,
		MeshMessageDeliveriesActivation: 30 * time.Second,
		// P3b: the deficit at prune time stays with the peer and fades
		// over 5 minutes, so a silent peer is not regrafted at once.
		MeshFailurePenaltyWeight: -0.5,
		MeshFailurePenaltyDecay:  ScoreParameterDecay(5 * time.Minute),
		// P4: −10 × count²: 1 invalid message −10, 3 → −90 (more than
		// the best P1 + P2 can offset, so pruned), 4 → −160 (no gossip),
		// 5 → −250 (no publish), 7 → −490 (graylisted).
		// Honest nodes do not send invalid messages, so the memory is
		// long: 1 hour.
		InvalidMessageDeliveriesWeight: -10,
		InvalidMessageDeliveriesDecay:  ScoreParameterDecay(time.Hour),
	}
}

// DefaultThresholds returns thresholds that go with DefaultParams.
func DefaultThresholds() Thresholds {
	return Thresholds{
		// Below −100 (≈ 4 invalid messages, or 2 silent prunes plus
		// misbehaviour) gossip stops both ways.
		GossipThreshold: -100,
		// Below −200 our own messages are no longer flood-published to it.
		PublishThreshold: -200,
		// Below −400 (≈ 7 invalid messages) all its RPCs are ignored.
		GraylistThreshold: -400,
		// PX is followed only from peers the application vouches for via
		// P5 (topics alone are capped at +50).
		AcceptPXThreshold: 100,
		// Opportunistic grafting kicks in when the median mesh peer has
		// less than +5: mesh peers that deliver little and are young.
		OpportunisticGraftThreshold: 5,
	}
}
