package transport

import (
	"encoding/binary"
	"fmt"

	"github.com/gwyh/gwyh/transport/internal/cookie"
)

// Packet types (first byte of every datagram).
const (
	typeHandshakeInit     = 1 // initiator's first message (IK msg1 or XX msg1)
	typeHandshakeResponse = 2 // responder's message (IK msg2 or XX msg2)
	typeHandshakeFinal    = 3 // XX msg3
	typeCookieReply       = 4 // stateless cookie, see internal/cookie
	typeData              = 5 // AEAD-sealed frames
)

// Sizes of the fixed parts of each packet type.
const (
	dataHeaderSize        = 16 // type, 3 zero bytes, receiver index, counter
	tagSize               = 16 // Poly1305 / GCM tag
	dataOverhead          = dataHeaderSize + tagSize
	handshakeHeaderSize   = 12              // type, pattern, 2 zero bytes, sender index, receiver index
	handshakeMacsSize     = cookie.MacsSize // mac1, mac2
	cookieReplyHeaderSize = 8               // type, 3 zero bytes, receiver index
	cookieReplySize       = cookieReplyHeaderSize + cookie.ReplySize
	// maxHandshakeSize bounds any handshake packet; the largest (IK msg1 with
	// a PSK) is well under it.
	maxHandshakeSize = 512
	// minNoiseMsg is the smallest noise message we ever send (an ephemeral key).
	minNoiseMsg = 32
)

// Noise message sizes (Noise Protocol Framework §7: a DH public key is
// dhLen bytes, sent encrypted once a key is set, and every payload sent
// encrypted carries a tag). They size the padding of msg1.
const (
	dhLen    = 32
	noiseTag = 16
	// xxMsg1Noise: e, then the empty payload, encrypted (a bare tag) only
	// with a PSK (psk0 sets a key from the start).
	xxMsg1Noise = dhLen
	// ikMsg1Noise: e, es, s (encrypted), ss, the identity payload.
	ikMsg1Noise = dhLen + dhLen + noiseTag + idPayloadSize + noiseTag
	// xxMsg2Noise: e, ee, s (encrypted), es, the identity payload.
	xxMsg2Noise = dhLen + dhLen + noiseTag + idPayloadSize + noiseTag
	// ikMsg2Noise: e, ee, se, the identity payload.
	ikMsg2Noise = dhLen + idPayloadSize + noiseTag
)

// initNoiseSize is the size of the Noise part of msg1 of pattern, which
// must be patternXX or patternIK.
func initNoiseSize(pattern byte, psk bool) int {
	if pattern == patternIK {
		return ikMsg1Noise
	}
	if psk {
		return xxMsg1Noise + noiseTag
	}
	return xxMsg1Noise
}

// minInitSize is the size of msg1 of pattern (patternXX or patternIK) on
// the wire: msg1 is padded, after its Noise message and before the MACs, to
// at least the size of the largest packet it can make the responder send
// (msg2 of its pattern; a cookie reply is smaller), so that a spoofed
// initiation gets no amplification. Smaller ones are dropped.
func minInitSize(pattern byte) int {
	noise := max(initNoiseSize(pattern, true), xxMsg2Noise)
	if pattern == patternIK {
		noise = max(ikMsg1Noise, ikMsg2Noise)
	}
	return max(handshakeHeaderSize+noise+handshakeMacsSize, cookieReplySize)
}

// Handshake patterns carried in the handshake header.
const (
	patternXX = 1
	patternIK = 2
)

// header is the parsed fixed part of a packet. Which fields are set depends
// on Type.
type header struct {
	Type     byte
	Pattern  byte   // handshake packets
	Sender   uint32 // handshake packets: the sender's session index
	Receiver uint32 // data, response, final, cookie: the receiver's index
	Counter  uint64 // data packets
}

// parsePacket validates the fixed layout of b and returns its header. It does
// no cryptography and never allocates; it is the first thing remote bytes go
// through (FuzzParsePacket).
func parsePacket(b []byte) (header, error) {
	var h header
	if len(b) < 1 {
		return h, errShort
	}
	h.Type = b[0]
	switch h.Type {
	case typeData:
		if len(b) < dataOverhead {
			return h, errShort
		}
		if b[1]|b[2]|b[3] != 0 {
			return h, fmt.Errorf("%w: reserved bytes set", errMalformed)
		}
		h.Receiver = binary.LittleEndian.Uint32(b[4:])
		h.Counter = binary.LittleEndian.Uint64(b[8:])
	case typeHandshakeInit, typeHandshakeResponse, typeHandshakeFinal:
		if len(b) < handshakeHeaderSize+minNoiseMsg+handshakeMacsSize {
			return h, errShort
		}
		if len(b) > maxHandshakeSize {
			return h, fmt.Errorf("%w: handshake of %d bytes", errMalformed, len(b))
		}
		if b[2]|b[3] != 0 {
			return h, fmt.Errorf("%w: reserved bytes set", errMalformed)
		}
		h.Pattern = b[1]
		if h.Pattern != patternXX && h.Pattern != patternIK {
			return h, fmt.Errorf("%w: pattern %d", errMalformed, h.Pattern)
		}
		if h.Type == typeHandshakeFinal && h.Pattern != patternXX {
			return h, fmt.Errorf("%w: final message in IK", errMalformed)
		}
		h.Sender = binary.LittleEndian.Uint32(b[4:])
		h.Receiver = binary.LittleEndian.Uint32(b[8:])
		if (h.Type == typeHandshakeInit) != (h.Receiver == 0) {
			return h, fmt.Errorf("%w: receiver index", errMalformed)
		}
		if h.Type == typeHandshakeInit && len(b) < minInitSize(h.Pattern) {
			return h, errUnpadded
		}
	case typeCookieReply:
		if len(b) != cookieReplySize {
			return h, errShort
		}
		if b[1]|b[2]|b[3] != 0 {
			return h, fmt.Errorf("%w: reserved bytes set", errMalformed)
		}
		h.Receiver = binary.LittleEndian.Uint32(b[4:])
	default:
		return h, errUnknownType
	}
	return h, nil
}

// appendDataHeader appends a data packet header to b.
func appendDataHeader(b []byte, receiver uint32, counter uint64) []byte {
	b = append(b, typeData, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, receiver)
	return binary.LittleEndian.AppendUint64(b, counter)
}

// appendHandshakeHeader appends a handshake header to b.
func appendHandshakeHeader(b []byte, typ, pattern byte, sender, receiver uint32) []byte {
	b = append(b, typ, pattern, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, sender)
	return binary.LittleEndian.AppendUint32(b, receiver)
}

// appendCookieReplyHeader appends a cookie reply header to b.
func appendCookieReplyHeader(b []byte, receiver uint32) []byte {
	b = append(b, typeCookieReply, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, receiver)
}
