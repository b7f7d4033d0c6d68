package rpc

// control decodes a ControlMessage body. Several control fields in one
// payload merge, as protobuf merges repeated occurrences of a message field.
func (d *decoder) control(b []byte) error {
	rd := reader{b}
	for {
		f, w, err := rd.next()
		if err != nil || f == 0 {
			return err
		}
		var body []byte
		if f >= 1 && f <= 5 {
			if body, err = rd.bytes(w); err != nil {
				return err
			}
		}
		switch f {
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
		default:
			err = rd.skip(w)
		}
		if err != nil {
			return err
		}
	}
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
	n, err := count(b, idField)
	if err != nil {
		return ids[:0], err
	}
	*total += n
	if err := limitErr(what, max, *total); err != nil {
		return ids[:0], err
	}
	if cap(ids) < n {
		ids = make([]string, 0, n)
	}
	ids = ids[:0]
	rd := reader{b}
	for {
		f, w, err := rd.next()
		if err != nil || f == 0 {
			return ids, err
		}
		switch {
		case f == idField:
			var s string
			s, err = d.str(&rd, w, "message id length", d.lim.MaxIDLen)
			ids = append(ids, s)
		case f == 1 && topic != nil:
			*topic, err = d.str(&rd, w, "topic length", d.lim.MaxTopicLen)
		default:
			err = rd.skip(w)
		}
		if err != nil {
			return ids, err
		}
	}
}

// graft decodes one ControlGraft body.
func (d *decoder) graft(b []byte) error {
	if err := limitErr("GRAFT entries", d.lim.MaxGraft, len(d.r.Graft)+1); err != nil {
		return err
	}
	var e *Graft
	d.r.Graft, e = extend(d.r.Graft)
	*e = Graft{}
	rd := reader{b}
	for {
		f, w, err := rd.next()
		if err != nil || f == 0 {
			return err
		}
		if f == 1 {
			e.Topic, err = d.str(&rd, w, "topic length", d.lim.MaxTopicLen)
		} else {
			err = rd.skip(w)
		}
		if err != nil {
			return err
		}
	}
}
