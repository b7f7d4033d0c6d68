package membership

import "encoding/binary"

// Ack (SWIM "ack"): answers a ping, or relays the target's answer to a
// ping-req, echoing the requester's seq.

func appendAck(dst []byte, seq uint64) []byte {
	dst = append(dst, byte(kindAck))
	return binary.AppendUvarint(dst, seq)
}

func decodeAck(r *reader, m *message, l limits) {
	m.seq = r.uvarint("ack seq")
	decodeUpdates(r, m, l)
}
