package membership

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Errors. Unless stated otherwise the Membership's state is unchanged when
// one is returned, and a payload that fails is a counted drop.
var (
	// ErrConfig wraps every problem New and Params.Validate find.
	ErrConfig = errors.New("membership: invalid config")
	// ErrMalformed: a payload is not a well-formed membership message.
	ErrMalformed = errors.New("membership: malformed message")
	// ErrTooLarge: a payload, a count, a string or the tags exceed a limit;
	// the error is a *LimitError naming the limit.
	ErrTooLarge = errors.New("membership: over limit")
	// ErrFromSelf: a payload claims to come from this node itself.
	ErrFromSelf = errors.New("membership: payload from self")
	// ErrLeft: SetTags after Leave; nothing changed.
	ErrLeft = errors.New("membership: node has left")
)

// LimitError says which limit was exceeded. It matches ErrTooLarge with
// errors.Is.
type LimitError struct {
	// Limit names the limit: "MaxPayload", "MaxStateBytes", "MaxMembers",
	// "MaxTagBytes", "MaxTags", "MaxTagKeyLen", "MaxAddrLen", "MaxZoneLen".
	Limit string
	// Max is the limit's value; Got what was found (or at least that much).
	Max, Got int
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("membership: over limit: %s %d > %d", e.Limit, e.Got, e.Max)
}

// Unwrap returns ErrTooLarge.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

func limitErr(name string, max, got int) error { return &LimitError{Limit: name, Max: max, Got: got} }

// State is a member's state in the SWIM sense.
type State uint8

// Member states, ordered as the merge rule ranks them at one incarnation:
// alive < suspect < dead < left.
const (
	// StateAlive: the member answers probes (or nobody has shown otherwise).
	StateAlive State = iota
	// StateSuspect: a probe failed; the member has until the suspicion
	// timeout to refute.
	StateSuspect
	// StateDead: the suspicion timed out (or a dead update was learnt).
	StateDead
	// StateLeft: the member announced a graceful leave.
	StateLeft
)

// String returns "alive", "suspect", "dead" or "left".
func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// up reports whether s counts as a live member (alive or suspect).
func (s State) up() bool { return s == StateAlive || s == StateSuspect }

// Member is one node of the cluster as this node knows it. Values handed
// out by the Membership are copies, except Tags, which is shared and must
// be treated as read-only (the Membership replaces, never mutates, a map).
type Member struct {
	// ID is the member's identity.
	ID peer.ID
	// Addr is "host:port" where the member's node listens.
	Addr string
	// Zone is a free-form label such as "eu-west-1a"; may be empty.
	Zone string
	// Tags are small application tags; nil when none.
	Tags map[string]string
	// Incarnation versions the member's state and metadata; only the
	// member itself raises it.
	Incarnation uint64
	// State is the member's state.
	State State
	// Since is when this node learnt the current state.
	Since time.Time
}

// Config configures New. It is read once, by New.
type Config struct {
	// Self describes this node: ID (required, non-zero), Addr (required),
	// Zone and Tags. Incarnation and State are ignored.
	Self Member
	// Params are the protocol parameters. The zero value means
	// LANParams(); any other value is used as is and must pass Validate.
	Params Params
	// Rand is the only source of randomness; required. The Membership owns
	// it after New.
	Rand *rand.Rand
}

// EventKind says what happened to a member.
type EventKind uint8

// Event kinds.
const (
	// EventJoin: a member this node did not hold as up is now alive (new,
	// or back after dead/left).
	EventJoin EventKind = iota
	// EventUpdate: an alive member's metadata or incarnation changed.
	EventUpdate
	// EventSuspect: a member became suspect.
	EventSuspect
	// EventAlive: a suspect refuted the suspicion.
	EventAlive
	// EventDead: a member was declared (or learnt to be) dead.
	EventDead
	// EventLeave: a member left gracefully.
	EventLeave
)

// String returns the kind's name in lower case.
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventSuspect:
		return "suspect"
	case EventAlive:
		return "alive"
	case EventDead:
		return "dead"
	case EventLeave:
		return "leave"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Up reports whether the member is up after an event of this kind (join,
// update, alive): a peer to connect to.
func (k EventKind) Up() bool { return k == EventJoin || k == EventUpdate || k == EventAlive }

// Gone reports whether the member is gone after an event of this kind
// (dead, leave): a peer to drop at once.
func (k EventKind) Gone() bool { return k == EventDead || k == EventLeave }

// Event reports a change of another member's state. No events are
// produced about this node itself.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Member is the member after the change.
	Member Member
}

// Send is one payload to deliver to a member.
type Send struct {
	// To is the receiver.
	To peer.ID
	// Addr is the receiver's address, so that the node can open a session
	// when it has none.
	Addr string
	// Payload is a complete membership payload (rpc framing included),
	// allocated for this Send: the Membership never reuses it, so the
	// caller may keep it after Advance (a simulator queues it in flight
	// without a copy).
	Payload []byte
}

// Output is the work produced since the previous Advance. All fields are
// read-only and valid until Advance.
type Output struct {
	// Sends are the payloads to deliver, in the order produced.
	Sends []Send
	// Events are the member state changes, in the order they happened.
	Events []Event
	// Deadline is when Tick is next due: call Tick at or after it. Never
	// zero after New.
	Deadline time.Time
}

// Stats are cumulative counters. The zero value is the state after New.
type Stats struct {
	ProbesSent        uint64 // direct pings of our own probes
	Acks              uint64 // acks that ended one of our probes
	NacksReceived     uint64 // nacks received from ping-req helpers
	NacksSent         uint64 // nacks we sent as a helper
	PingReqsSent      uint64 // ping-reqs we sent
	PingReqsReceived  uint64 // ping-reqs we served as a helper
	ProbesFailed      uint64 // probes that ended without an ack
	Suspicions        uint64 // suspicions raised by this node's own probes
	Refutations       uint64 // times this node refuted a suspicion or death of itself
	DeathsDeclared    uint64 // suspicion timeouts that declared a member dead here
	LastChances       uint64 // lone suspicions that ran out and got a last direct ping
	Leaves            uint64 // members learnt to have left
	Stalls            uint64 // Ticks far past their deadline (this node stalled)
	PushPulls         uint64 // push-pull exchanges started (joins included)
	Gossips           uint64 // gossip messages sent
	MessagesSent      uint64
	MessagesReceived  uint64
	BytesSent         uint64
	BytesReceived     uint64
	DropMalformed     uint64 // payloads that failed to decode
	DropTooLarge      uint64 // payloads or fields over a limit
	DropFromSelf      uint64 // payloads claiming to be from this node
	DropNotTarget     uint64 // pings meant for another member
	DropMaxMembers    uint64 // new members refused at MaxMembers
	DropQueueFull     uint64 // queued updates evicted at MaxQueue
	DropRelays        uint64 // ping-reqs refused at the relay bound
	DropStateTruncate uint64 // push-pull states cut at MaxStateBytes
}
