package validator

import (
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// Result is the outcome of validating one message (GossipSub v1.1,
// "Extended Validators"). The zero value is not a valid result; the router
// treats it, and any other unknown value, as Ignore.
type Result int

const (
	// Accept: the message is delivered locally and forwarded.
	Accept Result = iota + 1
	// Reject: the message is invalid; it is dropped and the peer that sent
	// it earns a P4 invalid-message penalty.
	Reject
	// Ignore: the message is dropped without penalty.
	Ignore
)

// String returns "accept", "reject", "ignore" or "invalid".
func (r Result) String() string {
	switch r {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Ignore:
		return "ignore"
	}
	return "invalid"
}

// Valid reports whether r is one of Accept, Reject and Ignore.
func (r Result) Valid() bool { return r >= Accept && r <= Ignore }

// Func validates one message synchronously. from is the peer the message was
// received from (the router's own ID for local publishes). The router calls
// it on its caller's goroutine, inline, so it must be fast and must not call
// back into the router. m and the memory it references are owned by the
// router: Func may read them during the call only.
type Func func(from peer.ID, m *rpc.Message) Result
