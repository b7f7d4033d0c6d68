package rpc

// control decodes a ControlMessage field. Several control fields in one
// payload merge, as protobuf merges repeated occurrences of a message field.
func (d *decoder) control(f field) error {
	b, err := f.bytes()
	if err != nil {
		return err
	}
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		var err error
		var body []byte
		if f.num >= 1 && f.num <= 5 {
			if body, err = f.bytes(); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			err = d.ihave(body)
		case 2:
			err = d.iwant(body)
		case 3:
			err = d.graft(body)
		case 4:
			err = d.prune(body)
		case 5:
			err = d.idontwant(body)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ihave decodes one ControlIHave body.
func (d *decoder) ihave(b []byte) error {
	if err := limitErr("IHAVE entries", d.lim.MaxIHave, len(d.r.IHave)+1); err != nil {
		return err
	}
	var e *IHave
	d.r.IHave, e = extend(d.r.IHave)
	e.Topic = ""
	var err error
	e.IDs, err = d.ids(b, 2, &e.Topic, e.IDs, &d.ihaveIDs, "IHAVE ids", d.lim.MaxIHaveIDs)
	return err
}

// iwant decodes one ControlIWant body.
func (d *decoder) iwant(b []byte) error {
	if err := limitErr("IWANT entries", d.lim.MaxIWant, len(d.r.IWant)+1); err != nil {
		return err
	}
	var e *IWant
	d.r.IWant, e = extend(d.r.IWant)
	var err error
	e.IDs, err = d.ids(b, 1, nil, e.IDs, &d.iwantIDs, "IWANT ids", d.lim.MaxIWantIDs)
	return err
}

// idontwant decodes one ControlIDontWant body.
func (d *decoder) idontwant(b []byte) error {
	if err := limitErr("IDONTWANT entries", d.lim.MaxIDontWant, len(d.r.IDontWant)+1); err != nil {
		return err
	}
	var e *IDontWant
	d.r.IDontWant, e = extend(d.r.IDontWant)
	var err error
	e.IDs, err = d.ids(b, 1, nil, e.IDs, &d.dontIDs, "IDONTWANT ids", d.lim.MaxIDontWantIDs)
	return err
}

// ids decodes a body holding message ids as field idField and, when topic is
// not nil, a topic as field 1. It counts the ids first, so that ids (reused
// from a previous Decode) is grown once, to what the body holds; total is
// the running count of this kind, bounded by max.
func (d *decoder) ids(b []byte, idField int, topic *string, ids []string, total *int, what string, max int) ([]string, error) {
	c, err := count(b, idField)
	if err != nil {
		return ids[:0], err
	}
	*total += c
	if err := limitErr(what, max, *total); err != nil {
		return ids[:0], err
	}
	if cap(ids) < c {
		ids = make([]string, 0, c)
	}
	ids = ids[:0]
	for len(b) > 0 {
		f, n := readField(b) // framing checked by count
		b = b[n:]
		switch {
		case f.num == idField:
			var s string
			s, err = d.str(f, "message id length", d.lim.MaxIDLen)
			ids = append(ids, s)
		case f.num == 1 && topic != nil:
			*topic, err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
		if err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// graft decodes one ControlGraft body.
func (d *decoder) graft(b []byte) error {
	if err := limitErr("GRAFT entries", d.lim.MaxGraft, len(d.r.Graft)+1); err != nil {
		return err
	}
	var g Graft
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		var err error
		if f.num == 1 {
			if g.Topic, err = d.str(f, "topic length", d.lim.MaxTopicLen); err != nil {
				return err
			}
		}
	}
	d.r.Graft = append(d.r.Graft, g)
	return nil
}
