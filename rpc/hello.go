package rpc

import "fmt"

// Hellos: gwyh's addition to the RPC schema (pb/rpc.proto, field 16,
// "hello"). A node sends one when a link opens, next to an empty control
// message, so that a GossipSub decoder (Decode among them) accepts the
// payload, skips the hello as an unknown field, and finds nothing. It
// announces what both ends must agree on for messages to flow: the
// signature policy. A payload without a hello says nothing either way.

// FieldHello is the RPC field number of a hello.
const FieldHello = 16

// helloFieldSignaturePolicy is the Hello field of the signature policy.
const helloFieldSignaturePolicy = 1

var errHelloWire = fmt.Errorf("%w: hello field of the wrong wire type", ErrMalformed)

// Hello is a hello's content (pb.Hello).
type Hello struct {
	// SignaturePolicy is the sender's signature policy, numbered as
	// router.SignaturePolicy and pb.SignaturePolicy (0 StrictSign, 1
	// StrictNoSign; a newer sender may announce another), meaningful only
	// when HasSignaturePolicy.
	SignaturePolicy    uint64
	HasSignaturePolicy bool
}

// AppendHello appends to dst a hello payload, an empty control message
// followed by h, and returns the extended slice.
func AppendHello(dst []byte, h Hello) []byte {
	dst = append(dst, key(rpcFieldControl, wireBytes), 0)
	dst = appendVarint(dst, FieldHello<<3|wireBytes) // a two-byte key
	if !h.HasSignaturePolicy {
		return append(dst, 0)
	}
	dst = appendVarint(dst, uint64(1+sizeVarint(h.SignaturePolicy)))
	dst = append(dst, key(helloFieldSignaturePolicy, wireVarint))
	return appendVarint(dst, h.SignaturePolicy)
}

// ReadHello returns the hello payload carries, if any: ok is false when it
// has no hello field. It reads the payload's top-level fields only, in
// O(number of fields) without allocating, so it may run on every payload
// before Decode. Several hello fields merge as protobuf merges them (the
// last value of each field wins). Errors wrap ErrMalformed: the top-level
// framing or a hello is malformed.
func ReadHello(payload []byte) (h Hello, ok bool, err error) {
	fr := fieldReader{b: payload}
	for fr.next() {
		if fr.f.num != FieldHello {
			continue
		}
		body, err := fr.f.bytes()
		if err != nil {
			return Hello{}, false, err
		}
		ok = true
		if err := h.merge(body); err != nil {
			return Hello{}, false, err
		}
	}
	if fr.err != nil {
		return Hello{}, false, fr.err
	}
	return h, ok, nil
}

// merge decodes a Hello body into h, over what h holds.
func (h *Hello) merge(body []byte) error {
	fr := fieldReader{b: body}
	for fr.next() {
		if fr.f.num == helloFieldSignaturePolicy {
			if fr.f.wire != wireVarint {
				return errHelloWire
			}
			h.SignaturePolicy, h.HasSignaturePolicy = fr.f.val, true
		}
	}
	return fr.err
}
