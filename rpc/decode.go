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
	d.internAll()
	return nil
}

// decoder is the state of one Decode call.
type decoder struct {
	lim      Limits
	r        *RPC
	ihaveIDs int
	iwantIDs int
	dontIDs  int
	strBytes int    // bytes of the strings to copy into the arena
	arena    []byte // topics and ids, allocated once
}

// rpc decodes the top-level RPC message.
func (d *decoder) rpc(b []byte) error {
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		var err error
		switch f.num {
		case 1:
			err = d.sub(f)
		case 2:
			err = d.message(f)
		case 3:
			err = d.control(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sub decodes one SubOpts field.
func (d *decoder) sub(f field) error {
	b, err := f.bytes()
	if err != nil {
		return err
	}
	if err := limitErr("subscriptions", d.lim.MaxSubscriptions, len(d.r.Subscriptions)+1); err != nil {
		return err
	}
	var s *SubOpts
	d.r.Subscriptions, s = extend(d.r.Subscriptions)
	*s = SubOpts{}
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		var err error
		switch f.num {
		case 1:
			var v uint64
			v, err = f.uint()
			s.Subscribe = v != 0
		case 2:
			s.Topic, err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// message decodes one Message field.
func (d *decoder) message(f field) error {
	b, err := f.bytes()
	if err != nil {
		return err
	}
	if err := limitErr("messages", d.lim.MaxMessages, len(d.r.Publish)+1); err != nil {
		return err
	}
	var m Message
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		var err error
		switch f.num {
		case 1:
			m.From, err = lenBytes(f, "from length", d.lim.MaxFromLen)
		case 2:
			m.Data, err = lenBytes(f, "data size", d.lim.MaxDataSize)
		case 3:
			m.Seqno, err = lenBytes(f, "seqno length", d.lim.MaxSeqnoLen)
		case 4:
			m.Topic, err = d.str(f, "topic length", d.lim.MaxTopicLen)
		case 5:
			m.Signature, err = lenBytes(f, "signature length", d.lim.MaxSignatureLen)
		case 6:
			m.Key, err = lenBytes(f, "key length", d.lim.MaxKeyLen)
		}
		if err != nil {
			return err
		}
	}
	d.r.Publish = append(d.r.Publish, m)
	return nil
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
