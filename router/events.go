package router

import "github.com/gwyh/gwyh/peer"

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventGraft: Peer was added to our mesh for Topic (either side
	// grafted).
	EventGraft EventKind = iota + 1
	// EventPrune: Peer left our mesh for Topic.
	EventPrune
	// EventPeerExchange: Peer pruned us from Topic and suggested PX peers
	// to connect to. The router never dials: the node may connect to them.
	EventPeerExchange
	// EventGraylisted: an RPC from Peer was dropped because its score is
	// below GraylistThreshold.
	EventGraylisted
	// EventReject: a message (MsgID, Topic) from Peer was rejected, by a
	// validator or by the signature policy (Cause says which).
	EventReject
	// EventDrop: something from Peer was dropped for Cause (MsgID and Topic
	// set when known).
	EventDrop
	// EventBrokenPromise: Peer advertised a message with IHAVE and did not
	// deliver it within IWantFollowupTime after our IWANT (a P7 penalty).
	EventBrokenPromise
	// EventSubscribe: Peer, a connected peer, subscribed to Topic, a topic
	// the router has joined (go-libp2p-pubsub's PeerJoin). Peers already
	// subscribed when the router joins are not reported: read TopicPeers.
	EventSubscribe
	// EventUnsubscribe: Peer left Topic, a joined topic, by unsubscribing
	// or by disconnecting (RemovePeer, Blacklist); go-libp2p-pubsub's
	// PeerLeave.
	EventUnsubscribe
	// EventBlacklisted: Peer is blacklisted (Blacklist) and was removed, or
	// was refused by AddPeer: the owner should end its connection.
	EventBlacklisted
	// EventChoke: we choked Peer, a mesh peer of Topic (Params.Choke).
	EventChoke
	// EventUnchoke: we unchoked Peer in Topic.
	EventUnchoke
)

var eventKindNames = [...]string{"", "graft", "prune", "peer-exchange", "graylisted", "reject", "drop", "broken-promise",
	"subscribe", "unsubscribe", "blacklisted", "choke", "unchoke"}

// String returns the kind's lower-case name.
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return "unknown"
}

// PXPeer is one peer suggested by peer exchange.
type PXPeer struct {
	ID peer.ID
	// Record is the opaque address record the pruning peer sent; it may
	// alias a received payload: copy it to keep it past the next input.
	Record []byte
}

// Event reports a notable state change or a drop. Fields not meaningful for
// the Kind are zero.
type Event struct {
	Kind  EventKind
	Peer  peer.ID
	Topic string
	MsgID string
	Cause DropCause
	// PX is set for EventPeerExchange; valid until the next input.
	PX []PXPeer
}
