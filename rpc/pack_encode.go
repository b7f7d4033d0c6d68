package rpc

// flush encodes the current payload's plan into the next output buffer and
// clears the plan.
func (p *packer) flush() {
	size := p.total()
	b := p.buffer(size)
	r := p.r
	b = appendEntries(b, rpcFieldSubscriptions, planned(p, phSub, r.Subscriptions))
	b = appendEntries(b, rpcFieldPublish, planned(p, phMsg, r.Publish))
	if p.ctl > 0 {
		b = appendHeader(b, rpcFieldControl, p.ctl)
		b = p.appendIDLists(b, phIHave, ctlFieldIHave)
		b = p.appendIDLists(b, phIWant, ctlFieldIWant)
		b = appendEntries(b, ctlFieldGraft, planned(p, phGraft, r.Graft))
		b = appendEntries(b, ctlFieldPrune, planned(p, phPrune, r.Prune))
		b = p.appendIDLists(b, phIDontWant, ctlFieldIDontWant)
		b = appendEntries(b, ctlFieldChoke, planned(p, phChoke, r.Choke))
		b = appendEntries(b, ctlFieldUnchoke, planned(p, phUnchoke, r.Unchoke))
	}
	if len(b) != size {
		panic("rpc: Pack size mismatch") // broken invariant of the Size methods
	}
	p.out = append(p.out, b)
	p.clear()
}

// planned returns the entries of es, the list of phase ph, planned for the
// current payload.
func planned[T any](p *packer, ph int, es []T) []T {
	if s := p.plan[ph]; s.lo >= 0 {
		return es[s.lo:s.hi]
	}
	return nil
}

// buffer returns an empty buffer with room for size bytes, reusing the
// backing array of the next element of p.out's capacity when it suffices.
func (p *packer) buffer(size int) []byte {
	if n := len(p.out); n < cap(p.out) {
		if b := p.out[:n+1][n]; cap(b) >= size {
			return b[:0]
		}
	}
	return make([]byte, 0, max(size, p.mtu))
}

// appendIDLists appends the planned IHAVE, IWANT or IDONTWANT entries, as
// ControlMessage field num, each with its planned slice of ids.
func (p *packer) appendIDLists(b []byte, ph int, num byte) []byte {
	s := p.plan[ph]
	if s.lo < 0 {
		return b
	}
	for i := s.lo; i < s.hi; i++ {
		topic, idField, ids := p.idList(ph, i)
		from, to := 0, len(ids)
		if i == s.lo {
			from = s.loOff
		}
		if i == s.hi-1 {
			to = s.hiOff
		}
		ids = ids[from:to]
		b = appendHeader(b, num, sizeOptField(len(topic))+sizeIDs(ids))
		b = appendOptString(b, ihaveFieldTopic, topic)
		b = appendIDs(b, idField, ids)
	}
	return b
}

// idList returns the topic (IHAVE only), the field number of the ids and
// the ids of entry i of phase ph.
func (p *packer) idList(ph, i int) (string, byte, []string) {
	switch ph {
	case phIHave:
		return p.r.IHave[i].Topic, ihaveFieldIDs, p.r.IHave[i].IDs
	case phIWant:
		return "", iwantFieldIDs, p.r.IWant[i].IDs
	default:
		return "", idontwantFieldIDs, p.r.IDontWant[i].IDs
	}
}
