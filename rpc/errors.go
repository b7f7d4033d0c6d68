package rpc

import (
	"errors"
	"strconv"
)

// Sentinel errors returned (wrapped) by Decode. Match them with errors.Is.
// A failed Decode leaves its target RPC reset (empty); nothing else changes.
var (
	// ErrTooLarge means a payload exceeded one of the Limits. The error is
	// a *LimitError naming the limit.
	ErrTooLarge = errors.New("rpc: limit exceeded")

	// ErrMalformed means a payload is not a valid RPC protobuf: a bad or
	// truncated varint, a length past the end, a wrong wire type for a known
	// field, a group or reserved wire type, or field number zero.
	ErrMalformed = errors.New("rpc: malformed payload")
)

// LimitError reports which limit a payload exceeded. errors.Is(err,
// ErrTooLarge) holds for every *LimitError. What is a fixed, short name fit
// for a stats label: "payload bytes", "subscriptions", "messages", "data
// size", "from length", "seqno length", "signature length", "key length",
// "topic length", "message id length", "IHAVE entries", "IWANT entries",
// "GRAFT entries", "PRUNE entries", "IDONTWANT entries", "CHOKE entries",
// "UNCHOKE entries", "IHAVE ids",
// "IWANT ids", "IDONTWANT ids", "PRUNE peers", "peer id length" or
// "peer record length".
type LimitError struct {
	What  string // the limit, e.g. "IHAVE ids" or "topic length"
	Limit int    // the configured bound
	Got   int    // the value that crossed it: a length, or a count at the first excess item
}

// Error implements error.
func (e *LimitError) Error() string {
	return "rpc: limit exceeded: " + e.What + " " + strconv.Itoa(e.Got) +
		" > " + strconv.Itoa(e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// limitErr returns a *LimitError when got > limit, else nil.
func limitErr(what string, limit, got int) error {
	if got <= limit {
		return nil
	}
	return &LimitError{What: what, Limit: limit, Got: got}
}
