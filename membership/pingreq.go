package membership

import (
	"encoding/binary"

	"github.com/gwyh/gwyh/peer"
)

// Ping-req (SWIM "ping-req"): asks a helper to ping target at addr and
// relay its ack with seq (or, Lifeguard, to nack when it gets none).

func appendPingReq(dst []byte, seq uint64, target peer.ID, addr string) []byte {
	dst = append(dst, byte(kindPingReq))
	dst = binary.AppendUvarint(dst, seq)
	dst = append(dst, target[:]...)
	return appendString(dst, addr)
}

func decodePingReq(r *reader, m *message, l limits) {
	m.seq = r.uvarint("ping-req seq")
	m.target = r.id("ping-req target")
	m.addr = r.str("ping-req addr", "MaxAddrLen", MaxAddrLen)
	decodeUpdates(r, m, l)
}
