package rpc

// The Size methods return the exact encoded length of a value's protobuf
// body: what Append writes, not counting the key and length prefix the value
// takes as a field of its parent. Empty optional fields are omitted, as
// protoc's encoders omit unset proto2 fields; SubOpts.Subscribe is always
// encoded, since false means "unsubscribe".

// Size returns the exact number of bytes Append writes for s: its body,
// without the key and length prefix it takes as a field of its parent.
func (s *SubOpts) Size() int { return 2 + sizeOptField(len(s.Topic)) }

// Size returns the exact number of bytes Append writes for m: its body,
// without the key and length prefix it takes as a field of its parent.
func (m *Message) Size() int {
	return sizeOptField(len(m.From)) + sizeOptField(len(m.Data)) +
		sizeOptField(len(m.Seqno)) + sizeOptField(len(m.Topic)) +
		sizeOptField(len(m.Signature)) + sizeOptField(len(m.Key))
}

// Size returns the exact number of bytes Append writes for ih: its body,
// without the key and length prefix it takes as a field of its parent.
func (ih *IHave) Size() int { return sizeOptField(len(ih.Topic)) + sizeIDs(ih.IDs) }

// Size returns the exact number of bytes Append writes for iw: its body,
// without the key and length prefix it takes as a field of its parent.
func (iw *IWant) Size() int { return sizeIDs(iw.IDs) }

// Size returns the exact number of bytes Append writes for g: its body,
// without the key and length prefix it takes as a field of its parent.
func (g *Graft) Size() int { return sizeOptField(len(g.Topic)) }

// Size returns the exact number of bytes Append writes for p: its body,
// without the key and length prefix it takes as a field of its parent.
func (p *Prune) Size() int {
	n := sizeOptField(len(p.Topic))
	for i := range p.Peers {
		n += sizeField(p.Peers[i].Size())
	}
	if p.Backoff != 0 {
		n += 1 + sizeVarint(p.Backoff)
	}
	return n
}

// Size returns the exact number of bytes Append writes for pi: its body,
// without the key and length prefix it takes as a field of its parent.
func (pi *PeerInfo) Size() int { return sizeOptField(len(pi.ID)) + sizeOptField(len(pi.Record)) }

// Size returns the exact number of bytes Append writes for d: its body,
// without the key and length prefix it takes as a field of its parent.
func (d *IDontWant) Size() int { return sizeIDs(d.IDs) }

// ControlSize returns the encoded length of r's ControlMessage body, zero
// when r has no control part.
func (r *RPC) ControlSize() int {
	n := 0
	for i := range r.IHave {
		n += sizeField(r.IHave[i].Size())
	}
	for i := range r.IWant {
		n += sizeField(r.IWant[i].Size())
	}
	for i := range r.Graft {
		n += sizeField(r.Graft[i].Size())
	}
	for i := range r.Prune {
		n += sizeField(r.Prune[i].Size())
	}
	for i := range r.IDontWant {
		n += sizeField(r.IDontWant[i].Size())
	}
	return n
}

// Size returns the encoded length of r as one payload (see Append).
func (r *RPC) Size() int {
	n := 0
	for i := range r.Subscriptions {
		n += sizeField(r.Subscriptions[i].Size())
	}
	for i := range r.Publish {
		n += sizeField(r.Publish[i].Size())
	}
	if r.HasControl() {
		n += sizeField(r.ControlSize())
	}
	return n
}

// sizeIDs returns the encoded length of ids as a repeated bytes field.
func sizeIDs(ids []string) int {
	n := 0
	for _, id := range ids {
		n += sizeField(len(id))
	}
	return n
}
