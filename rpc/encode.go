package rpc

// The Append methods append a value's protobuf body to b and return the
// extended slice, in field-number order (as protoc's deterministic encoders
// do). They write exactly Size bytes and only read their receiver.

// Append appends s's protobuf body (Size bytes) to b and returns the
// extended slice.
func (s *SubOpts) Append(b []byte) []byte {
	v := byte(0)
	if s.Subscribe {
		v = 1
	}
	b = append(b, keySubSubscribe, v)
	return appendOptString(b, keySubTopic, s.Topic)
}

// Append appends m's protobuf body (Size bytes) to b and returns the
// extended slice.
func (m *Message) Append(b []byte) []byte {
	b = appendOptBytes(b, keyMsgFrom, m.From)
	b = appendOptBytes(b, keyMsgData, m.Data)
	b = appendOptBytes(b, keyMsgSeqno, m.Seqno)
	b = appendOptString(b, keyMsgTopic, m.Topic)
	b = appendOptBytes(b, keyMsgSignature, m.Signature)
	return appendOptBytes(b, keyMsgKey, m.Key)
}

// Append appends ih's protobuf body (Size bytes) to b and returns the
// extended slice.
func (ih *IHave) Append(b []byte) []byte {
	b = appendOptString(b, keyIHaveTopic, ih.Topic)
	return appendIDs(b, keyIHaveID, ih.IDs)
}

// Append appends iw's protobuf body (Size bytes) to b and returns the
// extended slice.
func (iw *IWant) Append(b []byte) []byte { return appendIDs(b, keyIDsID, iw.IDs) }

// Append appends g's protobuf body (Size bytes) to b and returns the
// extended slice.
func (g *Graft) Append(b []byte) []byte { return appendOptString(b, keyGraftTopic, g.Topic) }

// Append appends p's protobuf body (Size bytes) to b and returns the
// extended slice.
func (p *Prune) Append(b []byte) []byte {
	b = appendOptString(b, keyPruneTopic, p.Topic)
	for i := range p.Peers {
		pi := &p.Peers[i]
		b = appendHeader(b, keyPrunePeer, pi.Size())
		b = pi.Append(b)
	}
	if p.Backoff != 0 {
		b = appendVarint(append(b, keyPruneBackoff), p.Backoff)
	}
	return b
}

// Append appends pi's protobuf body (Size bytes) to b and returns the
// extended slice.
func (pi *PeerInfo) Append(b []byte) []byte {
	b = appendOptBytes(b, keyPeerID, pi.ID)
	return appendOptBytes(b, keyPeerRecord, pi.Record)
}

// Append appends d's protobuf body (Size bytes) to b and returns the
// extended slice.
func (d *IDontWant) Append(b []byte) []byte { return appendIDs(b, keyIDsID, d.IDs) }

// Append appends r to b as one payload of r.Size() bytes, however large:
// an RPC protobuf whose control field is present only when r.HasControl().
// Use Pack to split r to fit an MTU.
func (r *RPC) Append(b []byte) []byte {
	for i := range r.Subscriptions {
		s := &r.Subscriptions[i]
		b = s.Append(appendHeader(b, keyRPCSub, s.Size()))
	}
	for i := range r.Publish {
		m := &r.Publish[i]
		b = m.Append(appendHeader(b, keyRPCPublish, m.Size()))
	}
	if !r.HasControl() {
		return b
	}
	b = appendHeader(b, keyRPCControl, r.ControlSize())
	for i := range r.IHave {
		e := &r.IHave[i]
		b = e.Append(appendHeader(b, keyCtlIHave, e.Size()))
	}
	for i := range r.IWant {
		e := &r.IWant[i]
		b = e.Append(appendHeader(b, keyCtlIWant, e.Size()))
	}
	for i := range r.Graft {
		e := &r.Graft[i]
		b = e.Append(appendHeader(b, keyCtlGraft, e.Size()))
	}
	for i := range r.Prune {
		e := &r.Prune[i]
		b = e.Append(appendHeader(b, keyCtlPrune, e.Size()))
	}
	for i := range r.IDontWant {
		e := &r.IDontWant[i]
		b = e.Append(appendHeader(b, keyCtlIDontWant, e.Size()))
	}
	return b
}

// appendIDs appends ids as a repeated bytes field with key k.
func appendIDs(b []byte, k byte, ids []string) []byte {
	for _, id := range ids {
		b = appendString(b, k, id)
	}
	return b
}
