package transport

import (
	"encoding/binary"
	"fmt"
)

// Frames are the plaintext of a data packet: zero or more frames back to back
// (an empty plaintext is a bare keepalive). Each starts with a type byte.
const (
	framePayload  = 1 // len(2) data: one whole user payload
	frameFragment = 2 // msgid(4) index(2) count(2) len(2) data: part of a large payload
	framePing     = 3 // ts(8): sender's clock in ns, to be echoed
	framePong     = 4 // ts(8): the echoed ping timestamp
	frameReport   = 5 // index(4) packets(8) bytes(8) highest(8): receiver report
	frameBye      = 6 // (empty): the sender ended the session (Conn.Disconnect)
)

const (
	payloadFrameHeader  = 3
	fragmentFrameHeader = 11
	pingFrameSize       = 9
	reportFrameSize     = 29
	byeFrameSize        = 1
	// minFragmentData: every fragment but the last carries at least this many
	// bytes, which bounds the fragment count of a message (MTU ≥ 576).
	minFragmentData = 512
)

// frame is one parsed frame; Data aliases the packet buffer.
type frame struct {
	Type  byte
	Data  []byte
	MsgID uint32
	Index uint16
	Count uint16
	TS    uint64 // ping, pong
	Rep   report
}

// report is a receiver report: what the sender of the report received on the
// keypair whose receiver index is Index.
type report struct {
	Index   uint32
	Packets uint64
	Bytes   uint64
	Highest uint64
}

// nextFrame parses the first frame of b and returns it and the rest of b.
// It never allocates and never panics.
func nextFrame(b []byte) (frame, []byte, error) {
	var f frame
	if len(b) == 0 {
		return f, nil, errShort
	}
	f.Type = b[0]
	switch f.Type {
	case framePayload:
		if len(b) < payloadFrameHeader {
			return f, nil, errShort
		}
		n := int(binary.LittleEndian.Uint16(b[1:]))
		if len(b) < payloadFrameHeader+n {
			return f, nil, fmt.Errorf("%w: payload frame of %d bytes in %d", errMalformed, n, len(b))
		}
		f.Data = b[payloadFrameHeader : payloadFrameHeader+n]
		return f, b[payloadFrameHeader+n:], nil
	case frameFragment:
		if len(b) < fragmentFrameHeader {
			return f, nil, errShort
		}
		f.MsgID = binary.LittleEndian.Uint32(b[1:])
		f.Index = binary.LittleEndian.Uint16(b[5:])
		f.Count = binary.LittleEndian.Uint16(b[7:])
		n := int(binary.LittleEndian.Uint16(b[9:]))
		if f.Count < 2 || f.Index >= f.Count || len(b) < fragmentFrameHeader+n {
			return f, nil, fmt.Errorf("%w: fragment %d/%d of %d bytes", errMalformed, f.Index, f.Count, n)
		}
		if n == 0 || (f.Index+1 < f.Count && n < minFragmentData) {
			return f, nil, fmt.Errorf("%w: fragment of %d bytes", errMalformed, n)
		}
		f.Data = b[fragmentFrameHeader : fragmentFrameHeader+n]
		return f, b[fragmentFrameHeader+n:], nil
	case framePing, framePong:
		if len(b) < pingFrameSize {
			return f, nil, errShort
		}
		f.TS = binary.LittleEndian.Uint64(b[1:])
		return f, b[pingFrameSize:], nil
	case frameReport:
		if len(b) < reportFrameSize {
			return f, nil, errShort
		}
		f.Rep = report{
			Index:   binary.LittleEndian.Uint32(b[1:]),
			Packets: binary.LittleEndian.Uint64(b[5:]),
			Bytes:   binary.LittleEndian.Uint64(b[13:]),
			Highest: binary.LittleEndian.Uint64(b[21:]),
		}
		return f, b[reportFrameSize:], nil
	case frameBye:
		return f, b[byeFrameSize:], nil
	default:
		return f, nil, fmt.Errorf("%w: frame type %d", errMalformed, f.Type)
	}
}

func appendPayloadFrame(b, data []byte) []byte {
	b = append(b, framePayload)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func appendFragmentFrame(b []byte, id uint32, index, count uint16, data []byte) []byte {
	b = append(b, frameFragment)
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint16(b, index)
	b = binary.LittleEndian.AppendUint16(b, count)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func appendPingFrame(b []byte, typ byte, ts uint64) []byte {
	b = append(b, typ)
	return binary.LittleEndian.AppendUint64(b, ts)
}

func appendReportFrame(b []byte, r report) []byte {
	b = append(b, frameReport)
	b = binary.LittleEndian.AppendUint32(b, r.Index)
	b = binary.LittleEndian.AppendUint64(b, r.Packets)
	b = binary.LittleEndian.AppendUint64(b, r.Bytes)
	return binary.LittleEndian.AppendUint64(b, r.Highest)
}

// frameLen returns the encoded length of the frame at the start of b, which
// must be a well-formed frame we encoded ourselves.
func frameLen(b []byte) int {
	switch b[0] {
	case framePayload:
		return payloadFrameHeader + int(binary.LittleEndian.Uint16(b[1:]))
	case frameFragment:
		return fragmentFrameHeader + int(binary.LittleEndian.Uint16(b[9:]))
	case framePing, framePong:
		return pingFrameSize
	case frameReport:
		return reportFrameSize
	case frameBye:
		return byeFrameSize
	}
	panic("transport: frameLen of unknown frame") // internal invariant
}
