package score

// Thresholds are the score levels at which the router changes how it treats
// a peer (GossipSub v1.1, "Score Thresholds").
type Thresholds struct {
	// GossipThreshold: below it, no gossip (IHAVE/IWANT) is sent to or
	// accepted from the peer. Must be < 0.
	GossipThreshold float64
	// PublishThreshold: below it, the peer gets no flood-published or
	// fan-out messages. Must be ≤ GossipThreshold.
	PublishThreshold float64
	// GraylistThreshold: below it, every RPC from the peer is dropped
	// unread. Must be < PublishThreshold.
	GraylistThreshold float64
	// AcceptPXThreshold: peer exchange in a PRUNE is followed only from
	// peers at or above it. Must be ≥ 0.
	AcceptPXThreshold float64
	// OpportunisticGraftThreshold: when the median score of a topic mesh
	// falls below it, better peers are grafted opportunistically. Must be ≥ 0.
	OpportunisticGraftThreshold float64
}

// Reason says why a message was not accepted, which decides whether the
// peer that sent it is penalised.
type Reason uint8

const (
	// ReasonInvalid: the message failed validation or its signature check.
	// The sender earns a P4 invalid-message penalty in the topic.
	ReasonInvalid Reason = iota + 1
	// ReasonIgnored: a validator returned Ignore, or validation was
	// throttled or timed out. No penalty; near-first duplicates of the
	// message do not earn delivery credit either.
	ReasonIgnored
)

// String returns "invalid" or "ignored".
func (r Reason) String() string {
	switch r {
	case ReasonInvalid:
		return "invalid"
	case ReasonIgnored:
		return "ignored"
	}
	return "unknown"
}
