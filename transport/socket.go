package transport

import "net/netip"

// Packet is one datagram in a Socket batch.
type Packet struct {
	// Buf: for ReadBatch, the buffer to fill (its full length is offered);
	// for WriteBatch, the datagram. Owned by the caller of the batch call.
	Buf []byte
	// N is the number of bytes ReadBatch stored in Buf.
	N int
	// Addr is the source (ReadBatch) or destination (WriteBatch).
	Addr netip.AddrPort
}

// Socket is the datagram seam under a Conn: a real UDP socket (see
// ListenUDP) or an in-memory twin (transport/bindtest). ReadBatch is called
// by one goroutine and WriteBatch by one other; Close may be called
// concurrently with both and must make them return.
type Socket interface {
	// ReadBatch blocks until at least one datagram is available, fills up to
	// len(pkts) of them, and returns how many. After Close it returns an error.
	ReadBatch(pkts []Packet) (int, error)
	// WriteBatch sends every packet; a datagram that cannot be delivered is
	// silently lost, as with UDP. It returns an error only if the socket is
	// unusable (closed).
	WriteBatch(pkts []Packet) error
	// LocalAddr is the address peers reach this socket at.
	LocalAddr() netip.AddrPort
	// Close releases the socket; it is idempotent.
	Close() error
}

// batchSize is how many datagrams one ReadBatch/WriteBatch moves at most.
const batchSize = 64
