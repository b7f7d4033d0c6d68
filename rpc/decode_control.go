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
	e.IDs, err = d.ids(b, idList{2, &e.Topic, d.ihaveIDs, "IHAVE ids", d.lim.MaxIHaveIDs}, e.IDs)
	d.ihaveIDs += len(e.IDs)
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
	e.IDs, err = d.ids(b, idList{1, nil, d.iwantIDs, "IWANT ids", d.lim.MaxIWantIDs}, e.IDs)
	d.iwantIDs += len(e.IDs)
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
	e.IDs, err = d.ids(b, idList{1, nil, d.dontIDs, "IDONTWANT ids", d.lim.MaxIDontWantIDs}, e.IDs)
	d.dontIDs += len(e.IDs)
	return err
}

// idList describes the body of an IHAVE, IWANT or IDONTWANT entry.
type idList struct {
	field int     // field number of the message ids
	topic *string // where field 1, the topic, goes; nil if there is none
	prior int     // ids of this kind already in the payload
	what  string  // name of the limit on the payload's ids of this kind
	max   int     // the limit
}

// ids decodes the body of an id-list entry described by l, appending to
// ids[:0]. It counts the ids first, so that ids (reused from a previous
// Decode) is grown once, to what the body holds.
func (d *decoder) ids(b []byte, l idList, ids []string) ([]string, error) {
	c, err := count(b, l.field)
	if err != nil {
		return ids[:0], err
	}
	if err := limitErr(l.what, l.max, l.prior+c); err != nil {
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
		case f.num == l.field:
			var s string
			s, err = d.str(f, "message id length", d.lim.MaxIDLen)
			ids = append(ids, s)
		case f.num == 1 && l.topic != nil:
			*l.topic, err = d.str(f, "topic length", d.lim.MaxTopicLen)
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
