package router

// DropCause says why something was dropped. Every drop is counted in
// Stats.Drops by cause.
type DropCause uint8

const (
	// DropNone is the zero value; no drop.
	DropNone DropCause = iota
	// DropUnknownPeer: input from a peer not added.
	DropUnknownPeer
	// DropGraylisted: an RPC from a graylisted peer.
	DropGraylisted
	// DropMalformed: a payload that did not decode.
	DropMalformed
	// DropTooManyTopics: a subscription beyond MaxPeerTopics.
	DropTooManyTopics
	// DropNotSubscribed: a message for a topic we have not joined.
	DropNotSubscribed
	// DropBadSignature: under StrictSign, a signed message whose
	// signature, author, seqno or key is invalid: forged or corrupt.
	// Messages signed under the other policy, or not at all, count as
	// DropMissingSignature or DropUnexpectedSignature.
	DropBadSignature
	// DropValidationThrottled: validation limit reached; message ignored.
	DropValidationThrottled
	// DropValidationTimeout: validation timed out; message ignored.
	DropValidationTimeout
	// DropValidationLate: a validation result arrived after its timeout
	// (or for an unknown id).
	DropValidationLate
	// DropRejected: a validator rejected the message.
	DropRejected
	// DropIgnored: a validator ignored the message.
	DropIgnored
	// DropIHaveFlood: IHAVE beyond MaxIHaveMessages or MaxIHaveLength per
	// heartbeat, or from a peer below GossipThreshold.
	DropIHaveFlood
	// DropIWantIgnored: IWANT from a peer below GossipThreshold.
	DropIWantIgnored
	// DropIWantMiss: an IWANT id not in the message cache.
	DropIWantMiss
	// DropIWantRetransmit: an IWANT id served GossipRetransmission times.
	DropIWantRetransmit
	// DropIDontWantFlood: IDONTWANT ids beyond MaxIDontWantMessages per
	// heartbeat.
	DropIDontWantFlood
	// DropGraftUnknownTopic: GRAFT for a topic we have not joined.
	DropGraftUnknownTopic
	// DropBadPX: a peer-exchange entry with a bad ID, or PX from a peer
	// below AcceptPXThreshold.
	DropBadPX
	// DropNoTopic: a message with an empty topic.
	DropNoTopic
	// DropBlacklisted: an RPC from a blacklisted peer, or a message
	// authored by one (Blacklist).
	DropBlacklisted
	// DropMissingSignature: under StrictSign, a message with no signature:
	// its author (or a peer) runs StrictNoSign, a policy mismatch.
	DropMissingSignature
	// DropUnexpectedSignature: under StrictNoSign, a message carrying
	// from, seqno, signature or key: its author runs StrictSign, a policy
	// mismatch.
	DropUnexpectedSignature
	// DropChokeNotMesh: a CHOKE or UNCHOKE from a peer not in our mesh of
	// its topic (or for a topic we have not joined).
	DropChokeNotMesh
	// DropIWantEvicted: an IWANT id whose body the message cache evicted
	// over Params.MessageCacheBytes (its id was no longer advertised).
	DropIWantEvicted
	numDropCauses
)

var dropCauseNames = [numDropCauses]string{
	"none", "unknown-peer", "graylisted", "malformed", "too-many-topics",
	"not-subscribed", "bad-signature", "validation-throttled",
	"validation-timeout", "validation-late", "rejected", "ignored",
	"ihave-flood", "iwant-ignored", "iwant-miss", "iwant-retransmit",
	"idontwant-flood", "graft-unknown-topic", "bad-px", "no-topic",
	"blacklisted", "missing-signature", "unexpected-signature",
	"choke-not-mesh", "iwant-evicted",
}

// String returns the cause's lower-case name.
func (c DropCause) String() string {
	if c < numDropCauses {
		return dropCauseNames[c]
	}
	return "unknown"
}

// NumDropCauses is the number of DropCause values, the length of
// Stats.Drops.
const NumDropCauses = int(numDropCauses)

// Stats are the router's counters since New. All are totals; none resets.
type Stats struct {
	RPCsIn        uint64 // RPCs handled (HandlePayload/HandleRPC)
	MsgsIn        uint64 // messages received (first copies and duplicates)
	MsgsOut       uint64 // message copies queued in Sends (forwards, publishes, IWANT answers)
	Published     uint64 // own messages published
	Delivered     uint64 // messages delivered locally (own and received)
	Duplicates    uint64 // received messages already seen
	IDsFromMemo   uint64 // StrictNoSign content ids taken from the id memo, not hashed
	IHaveSent     uint64 // IHAVE entries sent
	IHaveRecv     uint64 // IHAVE entries received
	IWantSent     uint64 // message ids asked with IWANT
	IWantRecv     uint64 // message ids asked of us with IWANT
	IDontWantSent uint64 // IDONTWANT ids sent (one per mesh peer per message)
	IDontWantRecv uint64 // IDONTWANT ids received
	GraftSent     uint64 // GRAFT entries sent
	// StrategySwaps counts mesh peers swapped for ones the strategy
	// prefers (a GRAFT and a PRUNE each; Params.Strategy).
	StrategySwaps uint64
	GraftRecv     uint64 // GRAFT entries received
	PruneSent     uint64 // PRUNE entries sent
	PruneRecv     uint64 // PRUNE entries received
	Heartbeats    uint64 // heartbeats run

	// The choke extension (Params.Choke).
	ChokeSent   uint64 // CHOKEs sent: mesh peers we choked
	ChokeRecv   uint64 // CHOKEs received from mesh peers (honoured)
	UnchokeSent uint64 // UNCHOKEs sent
	UnchokeRecv uint64 // UNCHOKEs received from mesh peers
	// ChokedIHave counts message ids sent as IHAVE instead of a copy,
	// to mesh peers that choked us.
	ChokedIHave uint64

	ValidationAccept    uint64 // messages accepted (no validator counts as accept)
	ValidationReject    uint64 // messages a validator rejected
	ValidationIgnore    uint64 // messages a validator ignored
	ValidationThrottled uint64 // messages ignored over the in-flight limits
	ValidationTimeout   uint64 // asynchronous validations that timed out
	BrokenPromises      uint64 // IWANT promises not kept (P7)
	Events              uint64 // events emitted
	// CacheEvicted counts message bodies the message cache evicted (or
	// did not keep) over Params.MessageCacheBytes.
	CacheEvicted uint64

	// Signature checks under StrictSign: VerifyBatches calls of
	// Config.Verifier by HandlePayloads with BatchedSigs signatures in
	// all (their mean batch size is BatchedSigs/VerifyBatches), and
	// SingleSigs signatures verified one at a time (HandlePayload,
	// HandleRPC, and messages a batch did not collect).
	VerifyBatches uint64
	BatchedSigs   uint64
	SingleSigs    uint64

	// Drops counts drops by DropCause (index).
	Drops [numDropCauses]uint64
}
