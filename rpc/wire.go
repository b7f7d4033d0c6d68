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

// Field keys of pb/rpc.proto used by the encoder.
var (
	keyRPCSub     = key(1, wireBytes)
	keyRPCPublish = key(2, wireBytes)
	keyRPCControl = key(3, wireBytes)

	keySubSubscribe = key(1, wireVarint)
	keySubTopic     = key(2, wireBytes)

	keyMsgFrom      = key(1, wireBytes)
	keyMsgData      = key(2, wireBytes)
	keyMsgSeqno     = key(3, wireBytes)
	keyMsgTopic     = key(4, wireBytes)
	keyMsgSignature = key(5, wireBytes)
	keyMsgKey       = key(6, wireBytes)

	keyCtlIHave     = key(1, wireBytes)
	keyCtlIWant     = key(2, wireBytes)
	keyCtlGraft     = key(3, wireBytes)
	keyCtlPrune     = key(4, wireBytes)
	keyCtlIDontWant = key(5, wireBytes)

	keyIHaveTopic   = key(1, wireBytes)
	keyIHaveID      = key(2, wireBytes)
	keyIDsID        = key(1, wireBytes) // IWANT and IDONTWANT messageIDs
	keyGraftTopic   = key(1, wireBytes)
	keyPruneTopic   = key(1, wireBytes)
	keyPrunePeer    = key(2, wireBytes)
	keyPruneBackoff = key(3, wireVarint)
	keyPeerID       = key(1, wireBytes)
	keyPeerRecord   = key(2, wireBytes)
)

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

// appendBytes appends a length-delimited field.
func appendBytes(b []byte, k byte, p []byte) []byte {
	b = append(b, k)
	b = appendVarint(b, uint64(len(p)))
	return append(b, p...)
}

// appendString appends a length-delimited field.
func appendString(b []byte, k byte, s string) []byte {
	b = append(b, k)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendOptBytes appends a length-delimited field unless p is empty.
func appendOptBytes(b []byte, k byte, p []byte) []byte {
	if len(p) == 0 {
		return b
	}
	return appendBytes(b, k, p)
}

// appendOptString appends a length-delimited field unless s is empty.
func appendOptString(b []byte, k byte, s string) []byte {
	if len(s) == 0 {
		return b
	}
	return appendString(b, k, s)
}

// appendHeader appends the key and length prefix of a length-delimited field.
func appendHeader(b []byte, k byte, n int) []byte {
	return appendVarint(append(b, k), uint64(n))
}
