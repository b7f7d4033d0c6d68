package rpc

import "unsafe"

// Decode parses one payload into into, under lim (zero fields of lim take
// their DefaultLimits values). into is Reset first, and the capacity of its
// slices — including the IDs and Peers slices of entries past its length —
// is reused, so whatever a previous Decode put there is overwritten.
//
// Ownership: the []byte fields of the result alias payload (capacity clipped
// to length), so payload must not change while they are in use; topics and
// message ids are copied into one new allocation and may be kept. That
// allocation holds every string of the payload, and keeping any one of
// them keeps all of it: a string kept long after the payload is handled
// (a topic name, an id remembered for seconds) should be a copy
// (strings.Clone) or an equal string the caller already owns, or one
// topic name can hold an IHAVE's thousands of ids.
//
// Errors wrap ErrMalformed or ErrTooLarge (a *LimitError); on error into is
// left empty and holding nothing of payload (see Forget). Unknown fields are skipped. Work is O(len(payload)), memory is
// bounded by lim and by what the payload actually contains. Decode is safe
// for concurrent use with distinct into values.
func Decode(payload []byte, lim Limits, into *RPC) error {
	into.Reset()
	lim = lim.withDefaults()
	if err := limitErr("payload bytes", lim.MaxPayload, len(payload)); err != nil {
		return err
	}
	d := decoder{lim: lim, r: into}
	if err := d.rpc(payload); err != nil {
		into.Forget() // its strings alias payload until internAll
		return err
	}
	d.internAll()
	return nil
}

// decoder is the state of one Decode call.
type decoder struct {
	lim      Limits
	r        *RPC
	idCount  [16]int // message ids so far, by ControlMessage field number
	strBytes int     // bytes of the strings to copy into the arena
}

// lenBytes returns the body of length-delimited field f, of at most max bytes.
func lenBytes(f field, what string, max int) ([]byte, error) {
	b, err := f.bytes()
	if err != nil {
		return nil, err
	}
	if err := limitErr(what, max, len(b)); err != nil {
		return nil, err
	}
	return b, nil
}

// str returns string field f, of at most max bytes, copied into the arena.
func (d *decoder) str(f field, what string, max int) (string, error) {
	b, err := lenBytes(f, what, max)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", nil
	}
	d.strBytes += len(b)
	return unsafe.String(&b[0], len(b)), nil
}

// extend lengthens s by one element and returns a pointer to it. The new
// element keeps whatever s's backing array held there, for reuse.
func extend[T any](s []T) ([]T, *T) {
	if len(s) < cap(s) {
		s = s[:len(s)+1]
	} else {
		var z T
		s = append(s, z)
	}
	return s, &s[len(s)-1]
}

// newEntry starts decoding field f as a new entry of *list: it returns f's
// body and the entry, which lengthens *list as extend does, or an error if
// f is not length-delimited or the entry would take *list past max (the
// limit named what).
func newEntry[T any](f field, list *[]T, what string, max int) (*T, []byte, error) {
	b, err := f.bytes()
	if err != nil {
		return nil, nil, err
	}
	if err := limitErr(what, max, len(*list)+1); err != nil {
		return nil, nil, err
	}
	var e *T
	*list, e = extend(*list)
	return e, b, nil
}

// idList describes the body of an id-list entry (IHAVE, IWANT, IDONTWANT).
type idList struct {
	ctl   int     // the entry's ControlMessage field number, which keys d.idCount
	field int     // field number of the message ids
	topic *string // where field 1, the topic, goes; nil if there is none
	what  string  // name of the limit on the payload's ids of this kind
	max   int     // the limit
}

// ids decodes the body of an id-list entry described by l into *ids,
// reusing its capacity. It counts the ids first, so that *ids (reused from
// a previous Decode) is grown once, to what the body holds.
func (d *decoder) ids(b []byte, l idList, ids *[]string) error {
	c, err := count(b, l.field)
	if err != nil {
		return err
	}
	if err := limitErr(l.what, l.max, d.idCount[l.ctl]+c); err != nil {
		return err
	}
	s := (*ids)[:0]
	if cap(s) < c {
		s = make([]string, 0, c)
	}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; {
		case f.num == l.field:
			var id string
			id, fr.err = d.str(f, "message id length", d.lim.MaxIDLen)
			s = append(s, id)
		case f.num == 1 && l.topic != nil:
			*l.topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
	}
	*ids = s
	d.idCount[l.ctl] += len(s)
	return fr.err
}
