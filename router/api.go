package router

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// Errors returned by the Router's inputs. Unless stated otherwise the
// Router's state is unchanged when one is returned.
var (
	// ErrConfig wraps every problem New finds in a Config and every
	// problem Params.Validate reports.
	ErrConfig = errors.New("router: invalid config")
	// ErrNotJoined: Leave of a topic the router has not joined.
	ErrNotJoined = errors.New("router: topic not joined")
	// ErrJoined: Join of a topic the router has already joined.
	ErrJoined = errors.New("router: topic already joined")
	// ErrEmptyTopic: an empty topic name was given.
	ErrEmptyTopic = errors.New("router: empty topic")
	// ErrDuplicate: Publish of a message whose id was already seen (under
	// StrictNoSign the id is a content hash, so identical data in one topic
	// within SeenTTL is a duplicate).
	ErrDuplicate = errors.New("router: duplicate message")
	// ErrRejected: a synchronous validator rejected or ignored a local
	// Publish; nothing was sent.
	ErrRejected = errors.New("router: message rejected by validator")
	// ErrUnknownPeer: input from a peer that was never added with AddPeer
	// (or was removed). The input is dropped and counted.
	ErrUnknownPeer = errors.New("router: unknown peer")
	// ErrBlacklisted: input from a blacklisted peer (Blacklist). The
	// input is dropped and counted.
	ErrBlacklisted = errors.New("router: peer blacklisted")
	// ErrGraylisted: an RPC from a peer scoring below GraylistThreshold was
	// dropped unread and counted.
	ErrGraylisted = errors.New("router: peer graylisted")
	// ErrMalformed: HandlePayload could not decode the payload; the error
	// also wraps the rpc package's error. The drop is counted.
	ErrMalformed = errors.New("router: malformed payload")
)

// Direction says which side opened the connection to a peer. GossipSub v1.1
// keeps at least Dout outbound peers in every mesh.
type Direction uint8

const (
	// Inbound: the peer connected to us. The zero value.
	Inbound Direction = iota
	// Outbound: we connected to the peer.
	Outbound
)

// String returns "inbound" or "outbound".
func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// PeerOptions describe a peer given to AddPeer.
type PeerOptions struct {
	// Direction of the connection; zero is Inbound.
	Direction Direction
	// Record is the peer's opaque address record, echoed to other peers in
	// peer exchange (PRUNE). The router keeps the slice; the caller must not
	// modify it afterwards. Nil: the peer is offered in PX by ID only.
	Record []byte
	// IP is the peer's address for P6 IP colocation scoring; the zero Addr
	// means unknown.
	IP netip.Addr
	// Direct marks an explicit peer (GossipSub v1.1 "Explicit Peering
	// Agreements"): it gets every valid message in topics it joined, is
	// never grafted, and a GRAFT from it is answered with PRUNE.
	Direct bool
	// Zone is the peer's zone ("" when unknown), for the zone strategies
	// (Params.Strategy); SetPeerZone changes it later.
	Zone string
}

// SignaturePolicy decides how messages are signed and checked
// (pubsub/README.md, "Message Signing").
type SignaturePolicy uint8

const (
	// StrictSign (the zero value, default): own messages carry from, seqno
	// and an ed25519 signature; received messages without a valid
	// signature by their author are rejected.
	StrictSign SignaturePolicy = iota
	// StrictNoSign: messages carry neither from, seqno nor signature;
	// received messages carrying any of them are rejected. The default
	// message id is a content hash.
	StrictNoSign
)

// String returns "strict-sign" or "strict-no-sign".
func (s SignaturePolicy) String() string {
	if s == StrictNoSign {
		return "strict-no-sign"
	}
	return "strict-sign"
}

// Config configures New. Fields are read once, by New.
type Config struct {
	// Identity signs own messages; required under StrictSign. When set, its
	// ID is the router's ID.
	Identity *peer.Identity
	// ID is the router's ID when Identity is nil (allowed under
	// StrictNoSign only). Ignored when Identity is set.
	ID peer.ID
	// Params are the GossipSub parameters; start from DefaultParams().
	Params Params
	// Zone is the router's own zone, a free-form label such as
	// "eu-west-1a"; peers with the same label are local to it under the
	// zone strategies (Params.Strategy). Empty: the zone of peers without
	// one.
	Zone string
	// SignaturePolicy; zero is StrictSign.
	SignaturePolicy SignaturePolicy
	// MessageID computes a message's id. Nil: the default for the policy
	// (StrictSign: the 32 author bytes ‖ the 8 seqno bytes; StrictNoSign:
	// the 32-byte SHA-256 of uvarint(len(topic)) ‖ topic ‖ data). All
	// peers of a topic must use the same function.
	// It must not keep m. Ignored when AppendMessageID is set.
	MessageID func(m *rpc.Message) string
	// AppendMessageID, when set, computes the id by appending it to dst
	// and returning the extended slice; it lets the router look duplicates
	// up without allocating. It must not keep m or dst.
	AppendMessageID func(dst []byte, m *rpc.Message) []byte
	// Rand is the router's only source of randomness; required. The router
	// owns it after New: the caller must not use it concurrently.
	Rand *rand.Rand
	// Scorer scores peers (GossipSub v1.1 peer scoring). Nil: every peer
	// scores 0 and Thresholds are ignored.
	Scorer Scorer
	// Thresholds are the score thresholds; checked by New when Scorer is
	// set.
	Thresholds score.Thresholds
	// Limits bound what HandlePayload decodes; the zero value is
	// rpc.DefaultLimits().
	Limits rpc.Limits
	// MaxPeerTopics bounds the topics one peer may announce; further
	// subscriptions are dropped and counted. Zero means 1024.
	MaxPeerTopics int
	// ValidationTimeout is how long an asynchronous validation may take
	// before its message is ignored. Zero means 5 s.
	ValidationTimeout time.Duration
	// MaxValidations bounds asynchronous validations in flight in total;
	// over it a message is ignored and the drop counted. Zero means 1024.
	MaxValidations int
	// MaxTopicValidations bounds them per topic. Zero means MaxValidations.
	MaxTopicValidations int
	// Verifier checks the signatures HandlePayloads collects from a batch
	// of payloads (under StrictSign). Nil: a SerialVerifier, in the
	// caller's goroutine. The node supplies one that spreads a large batch
	// over its cores.
	Verifier SigVerifier
}

// Scorer is the peer-scoring seam (GossipSub v1.1 "Peer Scoring"); package
// score implements it. The router calls it on its caller's goroutine only,
// and never concurrently. Strings passed in may be kept.
type Scorer interface {
	// AddPeer: p connected, from ip (zero when unknown; P6).
	AddPeer(now time.Time, p peer.ID, ip netip.Addr)
	// RemovePeer: p disconnected; its score may be retained.
	RemovePeer(now time.Time, p peer.ID)
	// Join and Leave: the router joined or left topic.
	Join(now time.Time, topic string)
	Leave(now time.Time, topic string)
	// Graft: p joined our mesh for topic (P1, P3 start).
	Graft(now time.Time, p peer.ID, topic string)
	// Prune: p left our mesh for topic (P3b).
	Prune(now time.Time, p peer.ID, topic string)
	// ValidateMessage: first receipt of a message; validation begins.
	ValidateMessage(now time.Time, from peer.ID, msgID, topic string)
	// DeliverMessage: validation accepted the message.
	DeliverMessage(now time.Time, from peer.ID, msgID, topic string)
	// RejectMessage: the message was rejected or ignored.
	RejectMessage(now time.Time, from peer.ID, msgID, topic string, reason score.Reason)
	// DuplicateMessage: a later copy of a message already seen.
	DuplicateMessage(now time.Time, from peer.ID, msgID, topic string)
	// AddPenalty adds count P7 behaviour penalties to p.
	AddPenalty(p peer.ID, count int)
	// Refresh runs at each heartbeat: decay, P1 accrual, retention expiry.
	Refresh(now time.Time)
	// Score returns p's current score.
	Score(p peer.ID) float64
}

// DuplicateBytesScorer is an optional extension of Scorer: when the
// configured Scorer also implements it, the router reports duplicates
// through DuplicateMessageBytes, which must behave exactly like
// DuplicateMessage with string(msgID). msgID is borrowed for the call
// only (the router reuses the buffer), so the scorer must not keep it;
// this saves the string allocation of the hottest scoring call.
type DuplicateBytesScorer interface {
	DuplicateMessageBytes(now time.Time, from peer.ID, msgID []byte, topic string)
}

// RefScorer is an optional extension of Scorer (package score implements
// it): the router takes a handle on each peer when it adds it and reads
// the peer's score through it, which must equal Score(p) exactly, and
// reports its duplicates through DuplicateMessageRef, which must behave
// exactly like DuplicateMessageBytes (msgID is borrowed likewise); this
// saves a lookup by peer ID on every RPC and every duplicate.
type RefScorer interface {
	Ref(p peer.ID) score.PeerRef
	ScoreRef(r score.PeerRef) float64
	DuplicateMessageRef(now time.Time, from score.PeerRef, msgID []byte, topic string)
}

// TopicValidator says how a topic's received messages are validated. The
// zero value accepts every message.
type TopicValidator struct {
	// Sync, when set, is called inline for every new message of the topic
	// (and for local publishes). Reject and Ignore end validation there.
	Sync validator.Func
	// Async, when true, makes the router emit a ValidationRequest for every
	// new message of the topic that Sync (if any) accepted; the caller runs
	// it and answers with ValidationDone. Local publishes skip it.
	Async bool
	// Timeout is how long an asynchronous validation of the topic may take
	// before its message is ignored (counted as DropValidationTimeout,
	// scored as an ignored message); go-libp2p-pubsub's
	// WithValidatorTimeout. Zero means Config.ValidationTimeout.
	Timeout time.Duration
	// MaxConcurrent bounds the topic's asynchronous validations in flight;
	// over it a message is ignored (DropValidationThrottled), as over
	// Config.MaxTopicValidations, which also applies; go-libp2p-pubsub's
	// WithValidatorConcurrency. Zero: only Config's limits.
	MaxConcurrent int
}

// ValidationID names one asynchronous validation. Ids are never reused by
// one Router.
type ValidationID uint64

// ValidationRequest asks the caller to validate a message asynchronously
// and to report the result with ValidationDone(now, ID, result) within
// Config.ValidationTimeout.
type ValidationRequest struct {
	ID    ValidationID
	MsgID string
	Topic string
	// From is the peer the message was received from.
	From peer.ID
	// Msg is owned by the router; its byte slices stay valid and
	// unmodified for as long as the caller needs them (the router never
	// writes to message memory), but the caller must not modify them.
	Msg rpc.Message
}

// Send is the RPC parts to send to one peer. The node packs it with rpc.Pack:
// payloads with GRAFT, PRUNE or subscriptions go at control priority, those
// with messages at message priority, IHAVE/IWANT only at gossip priority.
type Send struct {
	To  peer.ID
	RPC rpc.RPC
	// Own is true when RPC carries a message this router published (see
	// Output.Published): whether the owner could queue it tells Publish's
	// caller whether the message left at all.
	Own bool
}

// Delivery is a message accepted for local subscribers.
type Delivery struct {
	ID    string
	Topic string
	// Msg's byte slices are shared with the router's message cache and
	// with Sends: read only.
	Msg rpc.Message
	// From is the author (zero under StrictNoSign).
	From peer.ID
	// ReceivedFrom is the peer that sent it (the router's ID when Local).
	ReceivedFrom peer.ID
	// Local is true for the router's own publishes.
	Local bool
	// Received is the now of the input that brought the message's first
	// copy (or of the Publish call when Local): a delivery later than it
	// waited for an asynchronous validation.
	Received time.Time
}

// Published is the result of one local Publish: the peers its first copies
// were addressed to (flood publish, mesh or fan-out, and direct peers).
// Peers is zero when nobody was subscribed, or nobody scored high enough:
// the message then waits in the message cache for gossip and is likely
// seen by nobody.
type Published struct {
	ID    string
	Topic string
	Peers int
}

// Output is everything the router produced since the previous Ready. It is
// owned by the router and valid until Advance (its slices are reused
// afterwards); all fields are read-only. Act on it in field order: send
// Sends, deliver Deliveries, start Validations, handle Events, note
// Published, arm the timer for Deadline.
type Output struct {
	// Sends: at most one per peer, in deterministic order: the order in
	// which the router first queued something to each peer, so that the
	// copies of a message come in the strategy's send order (Params.Strategy).
	Sends []Send
	// Deliveries: accepted messages for local subscribers, in order.
	Deliveries []Delivery
	// Validations: asynchronous validations to run.
	Validations []ValidationRequest
	// Events: notable state changes and drops, in order. Duplicates and
	// deliveries are not events: see Stats and Deliveries.
	Events []Event
	// Published: one entry per successful local Publish, in order.
	Published []Published
	// Deadline: call Tick at or after this time. It is zero only before the
	// router's first input; afterwards there is always a heartbeat due.
	Deadline time.Time
}
