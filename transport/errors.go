package transport

import "errors"

// Sentinel errors returned by Conn methods. Compare with errors.Is.
var (
	// ErrClosed: the Conn is closed; no state changed.
	ErrClosed = errors.New("transport: closed")
	// ErrUnknownPeer: no established session with that peer; nothing queued.
	ErrUnknownPeer = errors.New("transport: unknown peer")
	// ErrQueueFull: the peer's send queue has no room for the payload at its
	// priority even after dropping lower-priority items; the payload was dropped
	// and counted.
	ErrQueueFull = errors.New("transport: send queue full")
	// ErrTooLarge: the payload exceeds Options.MaxMessageSize; nothing queued.
	ErrTooLarge = errors.New("transport: payload too large")
	// ErrHandshake: a handshake failed (timeout, bad signature, wrong network
	// key, unexpected peer).
	ErrHandshake = errors.New("transport: handshake failed")
	// ErrPeerMismatch: Dial completed a handshake with a peer other than the
	// expected one; the session was discarded.
	ErrPeerMismatch = errors.New("transport: unexpected peer")
	// ErrConfig: Options.Validate found a problem.
	ErrConfig = errors.New("transport: invalid config")

	// Errors for malformed remote input; they are counted as drops, never
	// returned by Conn methods.
	errShort       = errors.New("transport: packet too short")
	errUnknownType = errors.New("transport: unknown packet type")
	errMalformed   = errors.New("transport: malformed packet")
	errUnpadded    = errors.New("transport: initiation smaller than its reply")
	errAuth        = errors.New("transport: authentication failed")
)
