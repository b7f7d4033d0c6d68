package membership

import "encoding/binary"

// Nack (Lifeguard §IV-A): a ping-req helper tells the requester, after its
// own ProbeTimeout, that the target did not answer. A requester that gets
// neither acks nor nacks learns that it is the slow one.

func appendNack(dst []byte, seq uint64) []byte {
	dst = append(dst, byte(kindNack))
	return binary.AppendUvarint(dst, seq)
}

func decodeNack(r *reader, m *message, l limits) {
	m.seq = r.uvarint("nack seq")
	decodeUpdates(r, m, l)
}
