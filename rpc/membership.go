package rpc

import "fmt"

// Membership payloads: gwyh's addition to the RPC schema (pb/rpc.proto,
// field 15, "membership"). A membership payload is an RPC whose only field
// is that one, holding one message of package membership; it travels over
// the same authenticated sessions as GossipSub payloads, and a GossipSub
// decoder skips it as an unknown field. Since the field comes first and
// alone, one byte tells the two kinds of payload apart.

var (
	errNotMembership      = fmt.Errorf("%w: not a membership payload", ErrMalformed)
	errMembershipTrailing = fmt.Errorf("%w: bytes after the membership field", ErrMalformed)
)

// FieldMembership is the RPC field number of a membership message.
const FieldMembership = 15

var keyRPCMembership = key(FieldMembership, wireBytes)

// AppendMembership appends to dst a payload carrying the membership
// message body and returns the extended slice.
func AppendMembership(dst, body []byte) []byte {
	dst = append(dst, keyRPCMembership)
	dst = appendVarint(dst, uint64(len(body)))
	return append(dst, body...)
}

// MembershipSize is the payload size AppendMembership produces for a body
// of n bytes.
func MembershipSize(n int) int { return sizeField(n) }

// IsMembership reports whether payload is a membership payload (by its
// first byte; SplitMembership checks the rest).
func IsMembership(payload []byte) bool {
	return len(payload) > 0 && payload[0] == keyRPCMembership
}

// SplitMembership returns the membership message body of payload, which
// aliases payload. It fails with an error wrapping ErrMalformed when
// payload is not exactly one membership field.
func SplitMembership(payload []byte) ([]byte, error) {
	if !IsMembership(payload) {
		return nil, errNotMembership
	}
	f, n := readField(payload)
	if n == 0 {
		return nil, fieldErr(payload)
	}
	if n != len(payload) {
		return nil, errMembershipTrailing
	}
	return f.bytes()
}
