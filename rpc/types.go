package rpc

// The types below mirror pb/rpc.proto one for one. ControlMessage is
// flattened into RPC: its five lists are RPC fields here, and a payload
// carries a control field only when one of them is non-empty.
//
// Ownership: Decode fills an RPC whose []byte fields alias the payload it was
// given, so the payload must not be modified while the RPC is in use. Its
// strings (topics, message ids) are copied into memory of their own and may
// be kept. Pack only reads the RPC it is given.

// RPC is one unit of GossipSub exchange with a peer: subscription changes,
// full messages, and control. As an input to Pack it is the pending parts for
// one peer; as an output of Decode it is one payload's content.
type RPC struct {
	Subscriptions []SubOpts // field 1
	Publish       []Message // field 2

	// Control, field 3 (ControlMessage), flattened.
	IHave     []IHave     // ControlMessage field 1
	IWant     []IWant     // ControlMessage field 2
	Graft     []Graft     // ControlMessage field 3
	Prune     []Prune     // ControlMessage field 4
	IDontWant []IDontWant // ControlMessage field 5
}

// SubOpts announces that the sender joined (Subscribe) or left a topic.
type SubOpts struct {
	Subscribe bool   // field 1
	Topic     string // field 2, "topicid"
}

// Message is a published message. From, Seqno, Signature and Key are empty
// under the StrictNoSign policy.
type Message struct {
	From      []byte // field 1: the author's peer ID bytes
	Data      []byte // field 2
	Seqno     []byte // field 3: 8 bytes, big-endian, per author
	Topic     string // field 4
	Signature []byte // field 5
	Key       []byte // field 6: unused by gwyh (the ID is the key); kept for compatibility
}

// IHave advertises message ids recently seen in a topic (gossip).
type IHave struct {
	Topic string   // field 1, "topicID"
	IDs   []string // field 2, "messageIDs", bytes on the wire
}

// IWant asks for full messages by id, in answer to an IHave.
type IWant struct {
	IDs []string // field 1, "messageIDs"
}

// Graft asks the receiver to add the sender to its mesh for Topic.
type Graft struct {
	Topic string // field 1, "topicID"
}

// Prune tells the receiver it was removed from the sender's mesh for Topic,
// with peers it may connect to instead (peer exchange) and a backoff before
// it may graft again.
type Prune struct {
	Topic   string     // field 1, "topicID"
	Peers   []PeerInfo // field 2
	Backoff uint64     // field 3, seconds; 0 means the receiver's default
}

// PeerInfo names a peer for peer exchange. Record is opaque to this package:
// gwyh puts the peer's address record there (libp2p's signedPeerRecord).
type PeerInfo struct {
	ID     []byte // field 1, "peerID"
	Record []byte // field 2, "signedPeerRecord"
}

// IDontWant (GossipSub v1.2) asks the receiver not to send these messages.
type IDontWant struct {
	IDs []string // field 1, "messageIDs"
}

// Reset empties r, keeping the capacity of its slices for reuse.
func (r *RPC) Reset() {
	*r = RPC{
		Subscriptions: r.Subscriptions[:0],
		Publish:       r.Publish[:0],
		IHave:         r.IHave[:0],
		IWant:         r.IWant[:0],
		Graft:         r.Graft[:0],
		Prune:         r.Prune[:0],
		IDontWant:     r.IDontWant[:0],
	}
}

// Empty reports whether r carries nothing.
func (r *RPC) Empty() bool {
	return len(r.Subscriptions) == 0 && len(r.Publish) == 0 && !r.HasControl()
}

// HasControl reports whether r carries any control part.
func (r *RPC) HasControl() bool {
	return len(r.IHave) != 0 || len(r.IWant) != 0 || len(r.Graft) != 0 ||
		len(r.Prune) != 0 || len(r.IDontWant) != 0
}
