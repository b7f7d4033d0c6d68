package rpc

// ControlMessage (pb/rpc.proto) is field 3 of RPC. It is flattened into
// RPC: each of its repeated fields is a list in RPC, and a payload carries a
// control field only when one of those lists is non-empty. Several control
// fields in one payload merge, as protobuf merges repeated occurrences of a
// message field.
//
// Each control message's field number (ctlField*) is in its own file. The
// functions below name every control list once each, in field-number order;
// they are calls, not function values, so that nothing they are given
// escapes to the heap.
const rpcFieldControl = 3

// HasControl reports whether r carries any control part.
func (r *RPC) HasControl() bool {
	return len(r.IHave) != 0 || len(r.IWant) != 0 || len(r.Graft) != 0 ||
		len(r.Prune) != 0 || len(r.IDontWant) != 0 || len(r.Choke) != 0 || len(r.Unchoke) != 0
}

// ControlSize returns the encoded length of r's ControlMessage body, zero
// when r has no control part.
func (r *RPC) ControlSize() int {
	return sizeEntries(r.IHave) + sizeEntries(r.IWant) + sizeEntries(r.Graft) +
		sizeEntries(r.Prune) + sizeEntries(r.IDontWant) + sizeEntries(r.Choke) +
		sizeEntries(r.Unchoke)
}

// appendControl appends r's ControlMessage body (ControlSize bytes).
func (r *RPC) appendControl(b []byte) []byte {
	b = appendEntries(b, ctlFieldIHave, r.IHave)
	b = appendEntries(b, ctlFieldIWant, r.IWant)
	b = appendEntries(b, ctlFieldGraft, r.Graft)
	b = appendEntries(b, ctlFieldPrune, r.Prune)
	b = appendEntries(b, ctlFieldIDontWant, r.IDontWant)
	b = appendEntries(b, ctlFieldChoke, r.Choke)
	return appendEntries(b, ctlFieldUnchoke, r.Unchoke)
}

// resetControl empties r's control lists, keeping their capacity.
func (r *RPC) resetControl() {
	r.IHave, r.IWant, r.Graft = r.IHave[:0], r.IWant[:0], r.Graft[:0]
	r.Prune, r.IDontWant = r.Prune[:0], r.IDontWant[:0]
	r.Choke, r.Unchoke = r.Choke[:0], r.Unchoke[:0]
}

// ownControl moves the strings of r's control lists into arena.
func (r *RPC) ownControl(arena []byte) []byte {
	arena = ownEntries(arena, r.IHave)
	arena = ownEntries(arena, r.IWant)
	arena = ownEntries(arena, r.Graft)
	arena = ownEntries(arena, r.Prune)
	arena = ownEntries(arena, r.IDontWant)
	arena = ownEntries(arena, r.Choke)
	return ownEntries(arena, r.Unchoke)
}

// control decodes a ControlMessage field into d.r; unknown fields are
// skipped.
func (d *decoder) control(f field) error {
	b, err := f.bytes()
	if err != nil {
		return err
	}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case ctlFieldIHave:
			fr.err = d.ihave(f)
		case ctlFieldIWant:
			fr.err = d.iwant(f)
		case ctlFieldGraft:
			fr.err = d.graft(f)
		case ctlFieldPrune:
			fr.err = d.prune(f)
		case ctlFieldIDontWant:
			fr.err = d.idontwant(f)
		case ctlFieldChoke:
			fr.err = d.choke(f)
		case ctlFieldUnchoke:
			fr.err = d.unchoke(f)
		}
	}
	return fr.err
}
