package rpc

import "unsafe"

// Decode parses one payload into into, under lim (zero fields of lim take
// their DefaultLimits values). into is Reset first, and the capacity of its
// slices — including the IDs and Peers slices of entries past its length —
// is reused, so whatever a previous Decode put there is overwritten.
//
// Ownership: the []byte fields of the result alias payload (capacity clipped
// to length), so payload must not change while they are in use; topics and
// message ids are copied into one new allocation and may be kept.
//
// Errors wrap ErrMalformed or ErrTooLarge (a *LimitError); on error into is
// left reset. Unknown fields are skipped. Work is O(len(payload)), memory is
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
		into.Reset()
		return err
	}
	d.intern()
	return nil
}

// decoder is the state of one Decode call.
type decoder struct {
	lim      Limits
	r        *RPC
	strBytes int // bytes of the strings to copy into the arena
	ihaveIDs int
	iwantIDs int
	dontIDs  int
	arena    []byte
}

// rpc decodes the top-level RPC message.
func (d *decoder) rpc(b []byte) error {
	rd := reader{b}
	for {
		f, w, err := rd.next()
		if err != nil || f == 0 {
			return err
		}
		switch f {
		case 1:
			err = d.sub(&rd, w)
		case 2:
			err = d.message(&rd, w)
		case 3:
			var body []byte
			if body, err = rd.bytes(w); err == nil {
				err = d.control(body)
			}
		default:
			err = rd.skip(w)
		}
		if err != nil {
			return err
		}
	}
}

// sub decodes one SubOpts field.
func (d *decoder) sub(rd *reader, w int) error {
	b, err := rd.bytes(w)
	if err != nil {
		return err
	}
	if err := limitErr("subscriptions", d.lim.MaxSubscriptions, len(d.r.Subscriptions)+1); err != nil {
		return err
	}
	var s *SubOpts
	d.r.Subscriptions, s = extend(d.r.Subscriptions)
	*s = SubOpts{}
	er := reader{b}
	for {
		f, w, err := er.next()
		if err != nil || f == 0 {
			return err
		}
		switch f {
		case 1:
			var v uint64
			v, err = er.uint(w)
			s.Subscribe = v != 0
		case 2:
			s.Topic, err = d.str(&er, w, "topic length", d.lim.MaxTopicLen)
		default:
			err = er.skip(w)
		}
		if err != nil {
			return err
		}
	}
}

// message decodes one Message field.
func (d *decoder) message(rd *reader, w int) error {
	b, err := rd.bytes(w)
	if err != nil {
		return err
	}
	if err := limitErr("messages", d.lim.MaxMessages, len(d.r.Publish)+1); err != nil {
		return err
	}
	var m *Message
	d.r.Publish, m = extend(d.r.Publish)
	*m = Message{}
	er := reader{b}
	for {
		f, w, err := er.next()
		if err != nil || f == 0 {
			return err
		}
		switch f {
		case 1:
			m.From, err = lenBytes(&er, w, "from length", d.lim.MaxFromLen)
		case 2:
			m.Data, err = lenBytes(&er, w, "data size", d.lim.MaxDataSize)
		case 3:
			m.Seqno, err = lenBytes(&er, w, "seqno length", d.lim.MaxSeqnoLen)
		case 4:
			m.Topic, err = d.str(&er, w, "topic length", d.lim.MaxTopicLen)
		case 5:
			m.Signature, err = lenBytes(&er, w, "signature length", d.lim.MaxSignatureLen)
		case 6:
			m.Key, err = lenBytes(&er, w, "key length", d.lim.MaxKeyLen)
		default:
			err = er.skip(w)
		}
		if err != nil {
			return err
		}
	}
}

// lenBytes reads a length-delimited field of at most max bytes.
func lenBytes(rd *reader, w int, what string, max int) ([]byte, error) {
	b, err := rd.bytes(w)
	if err != nil {
		return nil, err
	}
	if err := limitErr(what, max, len(b)); err != nil {
		return nil, err
	}
	return b, nil
}

// str reads a string field of at most max bytes. The string aliases the
// payload until intern copies it.
func (d *decoder) str(rd *reader, w int, what string, max int) (string, error) {
	b, err := lenBytes(rd, w, what, max)
	if err != nil || len(b) == 0 {
		return "", err
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
