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
	// Segment (ReadBatch only): when nonzero, Buf[:N] holds several
	// datagrams from Addr coalesced by the kernel (UDP GRO), each Segment
	// bytes long but the last, which may be shorter (see nextSegment).
	// Zero: Buf[:N] is one datagram. A Socket coalesces only into buffers
	// of at least CoalesceBufferSize bytes (a caller should not shrink
	// its buffers later: what was coalesced meanwhile would be truncated).
	// WriteBatch ignores it.
	Segment int
}

// CoalesceBufferSize is the size of a ReadBatch buffer into which a Socket
// may coalesce datagrams (Packet.Segment): the largest UDP payload, so that
// the kernel never truncates what it coalesced.
const CoalesceBufferSize = 1 << 16

// nextSegment splits the first datagram off b, a ReadBatch buffer holding
// datagrams of seg bytes each, the last one possibly shorter (see
// Packet.Segment); seg ≤ 0 or ≥ len(b) means b is one datagram. The
// datagram aliases b, capped so that appending to it cannot touch the
// rest. It never panics.
func nextSegment(b []byte, seg int) (datagram, rest []byte) {
	if seg <= 0 || seg >= len(b) {
		return b, nil
	}
	return b[:seg:seg], b[seg:]
}

// coalescer is implemented by Sockets that may coalesce received
// datagrams and segment sent ones (udpSocket on Linux); the reader then
// offers fewer, larger buffers, and Stats report the offloads.
type coalescer interface {
	// coalesces reports whether ReadBatch coalesces into buffers of
	// CoalesceBufferSize bytes.
	coalesces() bool
	// offload reports the state of the offloads (see Stats).
	offload() offloadState
}

// offloadState is what a coalescer reports for Stats.
type offloadState struct {
	gso, gro    bool   // segmentation of sends, coalescing of receives, on now
	fallbacks   uint64 // times the kernel refused a segmented send and GSO went off
	kernelDrops uint64 // datagrams the kernel dropped, the receive buffer full
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
