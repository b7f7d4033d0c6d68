package rpc

// flush encodes the current payload's plan into the next output buffer and
// clears the plan.
func (p *packer) flush() {
	size := p.total()
	b := p.buffer(size)
	b = p.appendTop(b)
	if p.ctl > 0 {
		b = appendHeader(b, keyRPCControl, p.ctl)
		b = p.appendIDLists(b, phIHave, keyCtlIHave)
		b = p.appendIDLists(b, phIWant, keyCtlIWant)
		b = p.appendCtl(b, phGraft, keyCtlGraft)
		b = p.appendCtl(b, phPrune, keyCtlPrune)
		b = p.appendIDLists(b, phIDontWant, keyCtlIDontWant)
	}
	if len(b) != size {
		panic("rpc: Pack size mismatch") // broken invariant of size.go
	}
	p.out = append(p.out, b)
	p.clear()
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

// appendTop appends the planned subscriptions and messages.
func (p *packer) appendTop(b []byte) []byte {
	if s := p.plan[phSub]; s.lo >= 0 {
		for i := s.lo; i < s.hi; i++ {
			e := &p.r.Subscriptions[i]
			b = e.Append(appendHeader(b, keyRPCSub, e.Size()))
		}
	}
	if s := p.plan[phMsg]; s.lo >= 0 {
		for i := s.lo; i < s.hi; i++ {
			e := &p.r.Publish[i]
			b = e.Append(appendHeader(b, keyRPCPublish, e.Size()))
		}
	}
	return b
}

// appendCtl appends the planned GRAFT or PRUNE entries.
func (p *packer) appendCtl(b []byte, ph int, k byte) []byte {
	s := p.plan[ph]
	if s.lo < 0 {
		return b
	}
	for i := s.lo; i < s.hi; i++ {
		if ph == phGraft {
			e := &p.r.Graft[i]
			b = e.Append(appendHeader(b, k, e.Size()))
		} else {
			e := &p.r.Prune[i]
			b = e.Append(appendHeader(b, k, e.Size()))
		}
	}
	return b
}

// appendIDLists appends the planned IHAVE, IWANT or IDONTWANT entries, each
// with its planned slice of ids.
func (p *packer) appendIDLists(b []byte, ph int, k byte) []byte {
	s := p.plan[ph]
	if s.lo < 0 {
		return b
	}
	for i := s.lo; i < s.hi; i++ {
		topic, ids := p.idList(ph, i)
		from, to := 0, len(ids)
		if i == s.lo {
			from = s.loOff
		}
		if i == s.hi-1 {
			to = s.hiOff
		}
		ids = ids[from:to]
		b = appendHeader(b, k, sizeOptField(len(topic))+sizeIDs(ids))
		b = appendOptString(b, keyIHaveTopic, topic)
		idKey := keyIDsID
		if ph == phIHave {
			idKey = keyIHaveID
		}
		b = appendIDs(b, idKey, ids)
	}
	return b
}

// idList returns the topic (IHAVE only) and ids of entry i of phase ph.
func (p *packer) idList(ph, i int) (string, []string) {
	switch ph {
	case phIHave:
		return p.r.IHave[i].Topic, p.r.IHave[i].IDs
	case phIWant:
		return "", p.r.IWant[i].IDs
	default:
		return "", p.r.IDontWant[i].IDs
	}
}
