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

// field is one decoded protobuf field: its number and wire type, and its
// value — body for length-delimited fields (aliasing the input, capacity
// clipped), val for varints. Fields are passed by value and the input is
// advanced in locals, so that decoding writes no pointers to the heap.
type field struct {
	num  int
	wire int
	val  uint64
	body []byte
}

// bytes returns f's body, or an error if f is not length-delimited.
func (f field) bytes() ([]byte, error) {
	if f.wire != wireBytes {
		return nil, errWireType
	}
	return f.body, nil
}

// uint returns f's varint value, or an error if f is not a varint.
func (f field) uint() (uint64, error) {
	if f.wire != wireVarint {
		return 0, errWireType
	}
	return f.val, nil
}

// readVarint reads a varint of at most 10 bytes from b and returns it and
// its length, or length 0 if it is truncated or overflows 64 bits.
func readVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 10 && i < len(b); i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// readLen is readVarint with a fast path for lengths below 128.
func readLen(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return readVarint(b)
}

// readField reads the field at the start of a non-empty b and returns it
// and the bytes it took, or 0 bytes if b does not start with a valid field;
// fieldErr then says why. (Two results keep the hot path in registers.)
func readField(b []byte) (field, int) {
	// Fast path: a one-byte key of a length-delimited field and a one-byte
	// length, which is nearly every field of an RPC.
	if len(b) >= 2 && b[0] < 0x80 && b[0]&7 == wireBytes && b[0] >= 8 && b[1] < 0x80 {
		if end := 2 + int(b[1]); end <= len(b) {
			return field{num: int(b[0] >> 3), wire: wireBytes, body: b[2:end:end]}, end
		}
	}
	return readFieldSlow(b)
}

// readFieldSlow is readField for any field.
func readFieldSlow(b []byte) (field, int) {
	k, n := uint64(b[0]), 1
	if k >= 0x80 {
		if k, n = readVarint(b); n == 0 {
			return field{}, 0
		}
	}
	f := field{num: int(k >> 3), wire: int(k & 7)}
	if k>>3 == 0 || k>>3 > 1<<29-1 {
		return f, 0
	}
	switch f.wire {
	case wireBytes:
		l, m := readLen(b[n:])
		rest := b[n+m:]
		if m == 0 || l > uint64(len(rest)) {
			return f, 0
		}
		f.body = rest[:l:l]
		return f, n + m + int(l)
	case wireVarint:
		v, m := readVarint(b[n:])
		if m == 0 {
			return f, 0
		}
		f.val = v
		return f, n + m
	case wireFixed64:
		if len(b)-n < 8 {
			return f, 0
		}
		return f, n + 8
	case wireFixed32:
		if len(b)-n < 4 {
			return f, 0
		}
		return f, n + 4
	default:
		return f, 0
	}
}

// fieldErr returns why readField rejected b.
func fieldErr(b []byte) error {
	k, n := readVarint(b)
	switch {
	case n == 0:
		return errVarint
	case k>>3 == 0 || k>>3 > 1<<29-1:
		return errField
	}
	switch k & 7 {
	case wireBytes:
		if l, m := readLen(b[n:]); m != 0 && l > uint64(len(b)-n-m) {
			return errLength
		}
		return errVarint
	case wireVarint:
		return errVarint
	case wireFixed64, wireFixed32:
		return errTrunc
	case wireStart, wireEnd:
		return errGroup
	default:
		return errWireType
	}
}

// eachField calls fn with each field of message body b in turn, stopping at
// the first error fn returns or at the first malformed field, whose error
// it returns. Every message decoder is one call of it with a switch on the
// field number; unknown fields are the switch's silent default.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return fieldErr(b)
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// count returns how many times field num occurs in body b, validating the
// whole body's framing. It costs O(len(b)) and does not allocate.
func count(b []byte, num int) (int, error) {
	c := 0
	err := eachField(b, func(f field) error {
		if f.num != num {
			return nil
		}
		c++
		_, err := f.bytes()
		return err
	})
	return c, err
}
