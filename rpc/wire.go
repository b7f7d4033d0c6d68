package rpc

import "math/bits"

// Protobuf wire types (protobuf encoding spec, "Message Structure").
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireStart   = 3 // group start: deprecated, rejected
	wireEnd     = 4 // group end: deprecated, rejected
	wireFixed32 = 5
)

// key returns the one-byte field key for field numbers below 16.
func key(field, wire byte) byte { return field<<3 | wire }

// sizeVarint returns the encoded length of v as a varint.
func sizeVarint(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// sizeField returns the encoded length of a length-delimited field with a
// one-byte key and a body of n bytes.
func sizeField(n int) int { return 1 + sizeVarint(uint64(n)) + n }

// sizeOptField is sizeField for an optional field omitted when empty.
func sizeOptField(n int) int {
	if n == 0 {
		return 0
	}
	return sizeField(n)
}

// appendVarint appends v as a varint.
func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// The append helpers below write length-delimited fields, given by field
// number (below 16, so that the key is one byte).

// appendHeader appends the key and length prefix of field num, n bytes long.
func appendHeader(b []byte, num byte, n int) []byte {
	return appendVarint(append(b, key(num, wireBytes)), uint64(n))
}

// appendBytes appends field num holding p.
func appendBytes(b []byte, num byte, p []byte) []byte {
	return append(appendHeader(b, num, len(p)), p...)
}

// appendString appends field num holding s.
func appendString(b []byte, num byte, s string) []byte {
	return append(appendHeader(b, num, len(s)), s...)
}

// appendOptBytes appends field num unless p is empty.
func appendOptBytes(b []byte, num byte, p []byte) []byte {
	if len(p) == 0 {
		return b
	}
	return appendBytes(b, num, p)
}

// appendOptString appends field num unless s is empty.
func appendOptString(b []byte, num byte, s string) []byte {
	if len(s) == 0 {
		return b
	}
	return appendString(b, num, s)
}

// appendUint appends varint field num holding v.
func appendUint(b []byte, num byte, v uint64) []byte {
	return appendVarint(append(b, key(num, wireVarint)), v)
}

// sizeIDs returns the encoded length of ids as a repeated bytes field.
func sizeIDs(ids []string) int {
	n := 0
	for _, id := range ids {
		n += sizeField(len(id))
	}
	return n
}

// appendIDs appends ids as repeated bytes field num.
func appendIDs(b []byte, num byte, ids []string) []byte {
	for _, id := range ids {
		b = appendString(b, num, id)
	}
	return b
}

// entry is a message that travels as a repeated field of its parent: its
// Size and Append, and own, which moves its strings into an arena (see
// intern.go).
type entry[T any] interface {
	*T
	Size() int
	Append(b []byte) []byte
	own(arena []byte) []byte
}

// sizeEntries returns the encoded length of es as repeated field entries.
func sizeEntries[T any, P entry[T]](es []T) int {
	n := 0
	for i := range es {
		n += sizeField(P(&es[i]).Size())
	}
	return n
}

// appendEntries appends es as repeated message field num.
func appendEntries[T any, P entry[T]](b []byte, num byte, es []T) []byte {
	for i := range es {
		e := P(&es[i])
		b = e.Append(appendHeader(b, num, e.Size()))
	}
	return b
}
