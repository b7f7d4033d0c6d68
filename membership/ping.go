package membership

import (
	"encoding/binary"

	"github.com/gwyh/gwyh/peer"
)

// Ping (SWIM "ping"): asks target for an ack echoing seq. The target's ID
// is carried so that a ping reaching the wrong member (a reused address)
// is dropped instead of acked.

// pingHeaderMax is the largest ping header: kind, seq, target.
const pingHeaderMax = 1 + binary.MaxVarintLen64 + peer.IDSize

func appendPing(dst []byte, seq uint64, target peer.ID) []byte {
	dst = append(dst, byte(kindPing))
	dst = binary.AppendUvarint(dst, seq)
	return append(dst, target[:]...)
}

func decodePing(r *reader, m *message, l limits) {
	m.seq = r.uvarint("ping seq")
	m.target = r.id("ping target")
	decodeUpdates(r, m, l)
}
