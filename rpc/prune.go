package rpc

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

// ControlPrune is field 4 of ControlMessage, repeated; its fields and those
// of PeerInfo (pb/rpc.proto ControlPrune, PeerInfo):
const (
	ctlFieldPrune = 4

	pruneFieldTopic   = 1 // "topicID"
	pruneFieldPeers   = 2 // PeerInfo, repeated
	pruneFieldBackoff = 3 // varint, omitted when 0

	peerFieldID     = 1 // "peerID"
	peerFieldRecord = 2 // "signedPeerRecord"
)

// Size returns the exact number of bytes Append writes for p: its body,
// without the key and length prefix it takes as a field of its parent.
func (p *Prune) Size() int {
	n := sizeOptField(len(p.Topic)) + sizeEntries(p.Peers)
	if p.Backoff != 0 {
		n += 1 + sizeVarint(p.Backoff)
	}
	return n
}

// Append appends p's protobuf body (Size bytes) to b and returns the
// extended slice.
func (p *Prune) Append(b []byte) []byte {
	b = appendOptString(b, pruneFieldTopic, p.Topic)
	b = appendEntries(b, pruneFieldPeers, p.Peers)
	if p.Backoff != 0 {
		b = appendUint(b, pruneFieldBackoff, p.Backoff)
	}
	return b
}

// own moves p's strings into arena.
func (p *Prune) own(arena []byte) []byte { return ownString(arena, &p.Topic) }

// Size returns the exact number of bytes Append writes for pi: its body,
// without the key and length prefix it takes as a field of its parent.
func (pi *PeerInfo) Size() int { return sizeOptField(len(pi.ID)) + sizeOptField(len(pi.Record)) }

// Append appends pi's protobuf body (Size bytes) to b and returns the
// extended slice.
func (pi *PeerInfo) Append(b []byte) []byte {
	b = appendOptBytes(b, peerFieldID, pi.ID)
	return appendOptBytes(b, peerFieldRecord, pi.Record)
}

// own is a no-op: a PeerInfo has no strings.
func (pi *PeerInfo) own(arena []byte) []byte { return arena }

// prune decodes one ControlPrune body, under MaxPrune, MaxPrunePeers (per
// entry), MaxTopicLen, MaxPeerIDLen and MaxRecordLen. It counts the peers
// first, so that Peers (reused from a previous Decode) grows once.
func (d *decoder) prune(f field) error {
	e, b, err := newEntry(f, &d.r.Prune, "PRUNE entries", d.lim.MaxPrune)
	if err != nil {
		return err
	}
	c, err := count(b, pruneFieldPeers)
	if err != nil {
		return err
	}
	if err := limitErr("PRUNE peers", d.lim.MaxPrunePeers, c); err != nil {
		return err
	}
	peers := e.Peers[:0]
	if cap(peers) < c {
		peers = make([]PeerInfo, 0, c)
	}
	*e = Prune{}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case pruneFieldTopic:
			e.Topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		case pruneFieldPeers:
			var pi PeerInfo
			pi, fr.err = d.peerInfo(f)
			peers = append(peers, pi)
		case pruneFieldBackoff:
			e.Backoff, fr.err = f.uint()
		}
	}
	e.Peers = peers
	return fr.err
}

// peerInfo decodes one PeerInfo field.
func (d *decoder) peerInfo(f field) (PeerInfo, error) {
	var pi PeerInfo
	b, err := f.bytes()
	if err != nil {
		return pi, err
	}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case peerFieldID:
			pi.ID, fr.err = lenBytes(f, "peer id length", d.lim.MaxPeerIDLen)
		case peerFieldRecord:
			pi.Record, fr.err = lenBytes(f, "peer record length", d.lim.MaxRecordLen)
		}
	}
	return pi, fr.err
}
