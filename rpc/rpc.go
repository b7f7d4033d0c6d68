package rpc

// The types of this package mirror pb/rpc.proto one for one, each in the
// file of its message, except that ControlMessage is flattened into RPC
// (control.go).
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
	Choke     []Choke     // ControlMessage field 14 (gwyh's choke extension)
	Unchoke   []Unchoke   // ControlMessage field 15 (gwyh's choke extension)
}

// Reset empties r, keeping the capacity of its slices for reuse.
func (r *RPC) Reset() {
	r.Subscriptions, r.Publish = r.Subscriptions[:0], r.Publish[:0]
	r.resetControl()
}

// Forget empties r as Reset does, and also drops what its entries held:
// the payload its byte fields aliased and the strings Decode made, which an
// RPC kept for reuse would otherwise pin until a longer payload came to
// overwrite them. The capacity of its lists, and of their id lists, stays.
// It clears only what r holds now (its lengths), so it keeps an RPC clean
// when called after every Decode into it (Decode's own errors included),
// at a cost in proportion to what was decoded.
func (r *RPC) Forget() {
	// Each list is touched only when it holds entries: most RPCs carry one
	// or two kinds, and a slice header written back is work on the
	// router's hot path (recycle forgets every Send of a round).
	if len(r.Subscriptions) != 0 {
		clear(r.Subscriptions)
		r.Subscriptions = r.Subscriptions[:0]
	}
	if len(r.Publish) != 0 {
		clear(r.Publish)
		r.Publish = r.Publish[:0]
	}
	if len(r.IHave) != 0 {
		for i := range r.IHave {
			r.IHave[i] = IHave{IDs: forgetIDs(r.IHave[i].IDs)}
		}
		r.IHave = r.IHave[:0]
	}
	if len(r.IWant) != 0 {
		for i := range r.IWant {
			r.IWant[i] = IWant{IDs: forgetIDs(r.IWant[i].IDs)}
		}
		r.IWant = r.IWant[:0]
	}
	if len(r.IDontWant) != 0 {
		for i := range r.IDontWant {
			r.IDontWant[i] = IDontWant{IDs: forgetIDs(r.IDontWant[i].IDs)}
		}
		r.IDontWant = r.IDontWant[:0]
	}
	if len(r.Prune) != 0 {
		for i := range r.Prune {
			clear(r.Prune[i].Peers)
			r.Prune[i] = Prune{Peers: r.Prune[i].Peers[:0]}
		}
		r.Prune = r.Prune[:0]
	}
	if len(r.Graft) != 0 {
		clear(r.Graft)
		r.Graft = r.Graft[:0]
	}
	if len(r.Choke) != 0 {
		clear(r.Choke)
		r.Choke = r.Choke[:0]
	}
	if len(r.Unchoke) != 0 {
		clear(r.Unchoke)
		r.Unchoke = r.Unchoke[:0]
	}
}

// forgetIDs clears ids and returns it empty.
func forgetIDs(ids []string) []string {
	clear(ids)
	return ids[:0]
}

// Empty reports whether r carries nothing.
func (r *RPC) Empty() bool {
	return len(r.Subscriptions) == 0 && len(r.Publish) == 0 && !r.HasControl()
}

// Size returns the encoded length of r as one payload (see Append).
func (r *RPC) Size() int {
	n := sizeEntries(r.Subscriptions) + sizeEntries(r.Publish)
	if r.HasControl() {
		n += sizeField(r.ControlSize())
	}
	return n
}

// Append appends r to b as one payload of r.Size() bytes, however large:
// an RPC protobuf whose control field is present only when r.HasControl().
// Use Pack to split r to fit an MTU.
func (r *RPC) Append(b []byte) []byte {
	b = appendEntries(b, rpcFieldSubscriptions, r.Subscriptions)
	b = appendEntries(b, rpcFieldPublish, r.Publish)
	if !r.HasControl() {
		return b
	}
	b = appendHeader(b, rpcFieldControl, r.ControlSize())
	return r.appendControl(b)
}

// rpc decodes a top-level RPC body into d.r. Unknown fields, membership
// (FieldMembership) and hellos (FieldHello) among them, are skipped.
func (d *decoder) rpc(b []byte) error {
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case rpcFieldSubscriptions:
			fr.err = d.sub(f)
		case rpcFieldPublish:
			fr.err = d.message(f)
		case rpcFieldControl:
			fr.err = d.control(f)
		}
	}
	return fr.err
}
