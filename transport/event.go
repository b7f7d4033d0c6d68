package transport

import (
	"net/netip"

	"github.com/gwyh/gwyh/peer"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventPayload: a payload arrived from Peer (Payload set).
	EventPayload EventKind = iota + 1
	// EventPeerUp: a session with Peer is established (first time, or again
	// after EventPeerDown). A restarted peer (a new process with the same
	// identity, told apart by its new Noise static key) that handshakes
	// again before its old session timed out is reported as EventPeerDown
	// for the old instance then EventPeerUp for the new one; a rekey of the
	// same instance is not reported.
	EventPeerUp
	// EventPeerDown: nothing authentic arrived from Peer for
	// Options.PeerDownTimeout, or either side ended the session with
	// Conn.Disconnect; its session and queue are gone and Send to it
	// returns ErrUnknownPeer until it is up again.
	EventPeerDown
)

// String returns the kind's name ("payload", "peer-up", "peer-down").
func (k EventKind) String() string {
	switch k {
	case EventPayload:
		return "payload"
	case EventPeerUp:
		return "peer-up"
	case EventPeerDown:
		return "peer-down"
	}
	return "unknown"
}

// Event is what a Conn delivers on its Events channel.
type Event struct {
	Kind EventKind
	Peer peer.ID
	// Addr is the peer's address when the event was made. On EventPeerUp it
	// is an address proven by a round trip, never the bare source address
	// of a handshake packet (which anyone on the network can forge): for the
	// side that dialed, the address its msg1 was sent to, from which an
	// authentic msg2 came back; for an XX responder, the source of msg1,
	// where msg2 went and from which msg3, which could only be made from
	// msg2, came back (msg3's own source is not used); for an IK responder,
	// the source of msg1, once the initiator's first data packet shows that
	// msg2 arrived. Later packets may move the address the Conn sends to
	// (roaming, see PeerStats.Addr), but not this field of past events.
	Addr netip.AddrPort
	// Outbound (EventPeerUp only) is true when this Conn sent msg1 of the
	// handshake whose session brought the peer up: the session came from
	// this Conn's Dial. It is false when the peer initiated, which includes
	// a crossed Dial that lost to the peer's (see Conn.Dial). A peer cannot
	// make it true by any packet it sends.
	Outbound bool
	// Payload is the received payload (EventPayload only). It is owned by
	// the receiver of the event: the transport never touches it again.
	Payload []byte
}
