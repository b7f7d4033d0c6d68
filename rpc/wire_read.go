package rpc

import "fmt"

// Reading errors, all wrapping ErrMalformed.
var (
	errVarint   = fmt.Errorf("%w: bad varint", ErrMalformed)
	errLength   = fmt.Errorf("%w: length past end", ErrMalformed)
	errWireType = fmt.Errorf("%w: wrong wire type", ErrMalformed)
	errGroup    = fmt.Errorf("%w: group wire type", ErrMalformed)
	errField    = fmt.Errorf("%w: bad field number", ErrMalformed)
	errTrunc    = fmt.Errorf("%w: truncated fixed-size field", ErrMalformed)
)

// reader walks the fields of one protobuf message body. It never reads past
// b and never allocates.
type reader struct{ b []byte }

// varint reads a varint of at most 10 bytes.
func (r *reader) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 10 && i < len(r.b); i++ {
		c := r.b[i]
		if i == 9 && c > 1 {
			return 0, errVarint // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.b = r.b[i+1:]
			return v, nil
		}
	}
	return 0, errVarint
}

// next reads a field key. It returns field 0 at the end of the body.
func (r *reader) next() (field int, wire int, err error) {
	if len(r.b) == 0 {
		return 0, 0, nil
	}
	k, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	if k>>3 == 0 || k>>3 > 1<<29-1 {
		return 0, 0, errField
	}
	return int(k >> 3), int(k & 7), nil
}

// bytes reads the body of a length-delimited field; the result aliases b
// and its capacity is clipped to its length.
func (r *reader) bytes(wire int) ([]byte, error) {
	if wire != wireBytes {
		return nil, errWireType
	}
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)) {
		return nil, errLength
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p, nil
}

// uint reads a varint field.
func (r *reader) uint(wire int) (uint64, error) {
	if wire != wireVarint {
		return 0, errWireType
	}
	return r.varint()
}

// skip skips the value of an unknown field.
func (r *reader) skip(wire int) error {
	switch wire {
	case wireVarint:
		_, err := r.varint()
		return err
	case wireBytes:
		_, err := r.bytes(wire)
		return err
	case wireFixed64, wireFixed32:
		n := 8
		if wire == wireFixed32 {
			n = 4
		}
		if len(r.b) < n {
			return errTrunc
		}
		r.b = r.b[n:]
		return nil
	case wireStart, wireEnd:
		return errGroup
	default:
		return errWireType
	}
}

// count returns how many times field occurs in body b as a length-delimited
// field, validating the whole body's framing. It costs O(len(b)).
func count(b []byte, field int) (int, error) {
	r := reader{b}
	n := 0
	for {
		f, w, err := r.next()
		if err != nil || f == 0 {
			return n, err
		}
		if f == field {
			if _, err := r.bytes(w); err != nil {
				return n, err
			}
			n++
			continue
		}
		if err := r.skip(w); err != nil {
			return n, err
		}
	}
}
