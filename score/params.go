package score

import (
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Defaults used where a Params field is zero, and by ScoreParameterDecay.
const (
	// DefaultDecayInterval is the decay step ScoreParameterDecay assumes:
	// one second, the usual heartbeat.
	DefaultDecayInterval = time.Second
	// DefaultDecayToZero is the value below which ScoreParameterDecay
	// assumes a decayed counter is cleared to 0.
	DefaultDecayToZero = 0.01
	// DefaultDeliveryRecordTTL is how long a message's delivery record is
	// kept when Params.DeliveryRecordTTL is zero (the spec's seen TTL).
	DefaultDeliveryRecordTTL = 2 * time.Minute
	// DefaultMaxDeliveryRecords bounds the delivery records when
	// Params.MaxDeliveryRecords is zero.
	DefaultMaxDeliveryRecords = 1 << 16
)

// Params are the global peer score parameters (GossipSub v1.1, "The Score
// Function"):
//
//	Score(p) = TopicCap(Σ_t TopicWeight_t · (w1·P1 + w2·P2 + w3·P3 + w3b·P3b + w4·P4))
//	         + w5·P5 + w6·P6 + w7·P7
//
// New copies Params (including every TopicParams), so the caller may reuse
// or change its value afterwards. The zero value is not valid: DecayInterval
// and DecayToZero must be set. Check with Validate.
type Params struct {
	// Topics holds the per-topic parameters. A topic without an entry
	// contributes nothing to any score. A nil entry is invalid.
	Topics map[string]*TopicParams

	// TopicScoreCap caps the (weighted) sum over topics from above;
	// negative topic scores are never capped. 0 means no cap. Must be ≥ 0.
	TopicScoreCap float64

	// AppSpecificScore returns P5 for a peer: any real value the
	// application chooses (e.g. a large bonus for bootstrap nodes). It is
	// called from Score and Snapshot on the Scorer's goroutine and must be
	// cheap and deterministic. nil means P5 = 0.
	AppSpecificScore func(p peer.ID) float64
	// AppSpecificWeight (w5) multiplies P5. Must be ≥ 0.
	AppSpecificWeight float64

	// IPColocationFactorWeight (w6) multiplies P6. Must be ≤ 0; 0 turns
	// P6 off.
	IPColocationFactorWeight float64
	// IPColocationFactorThreshold: P6 = (peers sharing the IP − threshold)²
	// when more than threshold peers share it. Must be ≥ 1 when w6 ≠ 0.
	IPColocationFactorThreshold int
	// IPColocationFactorWhitelist: addresses inside these prefixes never
	// earn P6 (for instance loopback, or a NAT gateway every node sits
	// behind). nil means none.
	IPColocationFactorWhitelist []netip.Prefix

	// BehaviourPenaltyWeight (w7) multiplies P7. Must be ≤ 0; 0 turns P7
	// off.
	BehaviourPenaltyWeight float64
	// BehaviourPenaltyThreshold: P7 = (counter − threshold)² when the
	// counter exceeds it. Must be ≥ 0.
	BehaviourPenaltyThreshold float64
	// BehaviourPenaltyDecay multiplies the P7 counter every DecayInterval.
	// Must be in (0,1) when w7 ≠ 0.
	BehaviourPenaltyDecay float64

	// DecayInterval is the decay step: counters are multiplied by their
	// decay factor once per whole DecayInterval elapsed. Must be > 0.
	DecayInterval time.Duration
	// DecayToZero: a decayed counter below it becomes exactly 0. Must be
	// in (0,1).
	DecayToZero float64
	// RetainScore is how long the counters of a disconnected peer are
	// kept (frozen) so that reconnecting does not wash a bad score. 0
	// forgets the peer at the next Refresh. Must be ≥ 0.
	RetainScore time.Duration

	// DeliveryRecordTTL is how long the delivery record of a message
	// (first-seen time, validation outcome, peers that sent copies) is
	// kept. Copies arriving later earn nothing. 0 means
	// DefaultDeliveryRecordTTL. Must be ≥ 0.
	DeliveryRecordTTL time.Duration
	// MaxDeliveryRecords bounds the number of delivery records; the oldest
	// are dropped first (counted in Stats.RecordsEvicted). 0 means
	// DefaultMaxDeliveryRecords. Must be ≥ 0.
	MaxDeliveryRecords int
}

// TopicParams are the parameters of one topic's share of the score. Weights
// multiply the raw component values; the result is multiplied by
// TopicWeight. A component whose weight is 0 is off and its other
// parameters are not checked (its counter still decays, clamped to sane
// factors).
type TopicParams struct {
	// TopicWeight multiplies this topic's score. Must be ≥ 0.
	TopicWeight float64

	// TimeInMeshWeight (w1) multiplies P1 = time in our mesh /
	// TimeInMeshQuantum, capped at TimeInMeshCap. Must be ≥ 0.
	TimeInMeshWeight float64
	// TimeInMeshQuantum is the unit of P1. Must be > 0 when w1 ≠ 0.
	TimeInMeshQuantum time.Duration
	// TimeInMeshCap caps P1 (in quanta). Must be > 0 when w1 ≠ 0.
	TimeInMeshCap float64

	// FirstMessageDeliveriesWeight (w2) multiplies P2, the decaying count
	// of messages this peer delivered to us first. Must be ≥ 0.
	FirstMessageDeliveriesWeight float64
	// FirstMessageDeliveriesDecay: factor per DecayInterval, in (0,1).
	FirstMessageDeliveriesDecay float64
	// FirstMessageDeliveriesCap caps the P2 counter. Must be > 0.
	FirstMessageDeliveriesCap float64

	// MeshMessageDeliveriesWeight (w3) multiplies P3 = (threshold −
	// counter)² while the counter of first and near-first deliveries by a
	// mesh peer is below MeshMessageDeliveriesThreshold and the peer has
	// been in our mesh longer than MeshMessageDeliveriesActivation.
	// Must be ≤ 0.
	MeshMessageDeliveriesWeight float64
	// MeshMessageDeliveriesDecay: factor per DecayInterval, in (0,1).
	MeshMessageDeliveriesDecay float64
	// MeshMessageDeliveriesCap caps the P3 counter. Must be ≥ threshold.
	MeshMessageDeliveriesCap float64
	// MeshMessageDeliveriesThreshold is the count below which P3 applies.
	// Must be > 0.
	MeshMessageDeliveriesThreshold float64
	// MeshMessageDeliveriesWindow: a copy received this long after the
	// first receipt (or any time while the message was validating) still
	// counts as near-first. Must be ≥ 0.
	MeshMessageDeliveriesWindow time.Duration
	// MeshMessageDeliveriesActivation: P3 applies only after the peer has
	// been this long in our mesh. Must be ≥ 0.
	MeshMessageDeliveriesActivation time.Duration

	// MeshFailurePenaltyWeight (w3b) multiplies P3b, the sticky penalty
	// added at prune time: the P3 deficit² if P3 was active and below
	// threshold. Must be ≤ 0.
	MeshFailurePenaltyWeight float64
	// MeshFailurePenaltyDecay: factor per DecayInterval, in (0,1).
	MeshFailurePenaltyDecay float64

	// InvalidMessageDeliveriesWeight (w4) multiplies P4 = counter² of
	// invalid messages. Must be ≤ 0.
	InvalidMessageDeliveriesWeight float64
	// InvalidMessageDeliveriesDecay: factor per DecayInterval, in (0,1).
	InvalidMessageDeliveriesDecay float64
}
