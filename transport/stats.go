package transport

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// DropCause names why a packet, frame or payload was dropped.
type DropCause int

// Drop causes, each counted in Stats.Drops.
const (
	DropShort               DropCause = iota // datagram shorter than its type's fixed part
	DropUnknownType                          // unknown packet type
	DropMalformed                            // bad fixed fields or frames
	DropUnknownSession                       // receiver index not in use
	DropAuth                                 // AEAD, mac1, Noise or signature check failed
	DropReplay                               // counter seen before or behind the window
	DropStaleHandshake                       // initiation not newer than the last from that identity
	DropRateLimited                          // handshake over the per-source rate
	DropCookieRequired                       // handshake under load without a valid cookie (answered with one)
	DropHandshakeTableFull                   // too many half-open handshakes or peers
	DropHandshakeUnexpected                  // handshake message out of place or for the wrong peer
	DropReassemblyOverflow                   // partial message over a memory cap or MaxMessageSize
	DropReassemblyTimeout                    // partial message older than ReassemblyTimeout
	DropEventQueueFull                       // Events queue full (events or bytes): payload discarded
	DropQueueFull                            // Send: queue full (or item evicted by a higher priority)
	DropPeerDown                             // queued payloads discarded when a peer went down
	DropWriteError                           // socket write failed
	DropHandshakeQueueFull                   // msg1 arrived with the handshake worker's queue full
	DropHalfOpenEvicted                      // half-open handshake evicted for a newer one (per-source cap or table full)
	DropUnpaddedInit                         // msg1 smaller than the reply it asks for (it would amplify)
	DropEventPeerShare                       // payload discarded: its peer holds its share of the Events queue
	DropExpiredKeypair                       // packet on session keys older than RejectAfterTime or retired at their AEAD limits, or a bye on a replaced session
	DropSocketOverflow                       // datagram the kernel dropped, the socket's receive buffer full (Linux, SO_RXQ_OVFL; learnt with the next datagram read)
	NumDropCauses                            // number of causes, the length of Stats.Drops
)

var dropNames = [...]string{
	"short", "unknown-type", "malformed", "unknown-session", "auth", "replay",
	"stale-handshake", "rate-limited", "cookie-required", "handshake-table-full",
	"handshake-unexpected", "reassembly-overflow", "reassembly-timeout",
	"event-queue-full", "queue-full", "peer-down", "write-error",
	"handshake-queue-full", "half-open-evicted", "unpadded-init", "event-peer-share",
	"expired-keypair", "socket-overflow",
}

// String returns the cause's short name, e.g. "replay".
func (d DropCause) String() string {
	if d >= 0 && int(d) < len(dropNames) {
		return dropNames[d]
	}
	return "unknown"
}

// Stats are a Conn's global counters since Listen. A snapshot; read-only.
type Stats struct {
	// Drops counts dropped packets, frames and payloads, indexed by DropCause.
	Drops [NumDropCauses]uint64
	// PacketsIn/BytesIn count datagrams read; PacketsOut/BytesOut written.
	PacketsIn, BytesIn, PacketsOut, BytesOut uint64
	// HandshakesXX and HandshakesIK count completed handshakes (either role).
	HandshakesXX, HandshakesIK uint64
	// CookiesSent counts cookie replies sent under load.
	CookiesSent uint64
	// ReadBatches and WriteBatches count socket batch calls; packets per
	// call show how well I/O is batched.
	ReadBatches, WriteBatches uint64
	// Disconnects counts sessions ended by Conn.Disconnect; Byes counts
	// sessions ended because the peer sent a bye (its Disconnect).
	Disconnects, Byes uint64
	// Restarts counts sessions replaced because the peer restarted (a
	// handshake from its identity with a new Noise static key), each
	// reported as EventPeerDown then EventPeerUp.
	Restarts uint64
	// Peers is the number of peers with a session.
	Peers int
	// GSO and GRO report whether the UDP socket segments sends (runs of
	// same-size datagrams to one peer go to the kernel as one) and
	// coalesces receives (Linux only; false for other Sockets).
	// GSOFallbacks counts the times the kernel refused a segmented send
	// (EIO or EINVAL) and GSO went off; that batch went out unsegmented.
	GSO, GRO     bool
	GSOFallbacks uint64
}

// PeerStats describe one peer. A snapshot; read-only.
type PeerStats struct {
	Addr netip.AddrPort
	// RTT is the smoothed round-trip time from pings (0 until measured).
	RTT time.Duration
	// Loss is the smoothed fraction of our packets the peer reports missing.
	Loss float64
	// SendRate is the current paced rate toward the peer, bytes per second.
	SendRate float64
	// QueuedBytes is the size of the send queue, all priorities.
	QueuedBytes int
	// QueueDrops counts payloads dropped from or refused by the send queue,
	// by Priority.
	QueueDrops [NumPriorities]uint64
	// ReassemblyDrops counts partial messages from the peer discarded.
	ReassemblyDrops uint64
	// Packets and bytes on the wire to and from the peer (data packets).
	PacketsSent, PacketsReceived, BytesSent, BytesReceived uint64
	// SessionStart is when the current session was established.
	SessionStart time.Time
	// Rekeys counts sessions after the first.
	Rekeys uint64
	// NetworkKeyID names the network key the current session was made with
	// (NetworkKeyID; "" without a network key): during a key rotation it
	// shows which peers still use the old key (see Conn.SetNetworkKeys).
	NetworkKeyID string
}

// counters is the atomic backing of Stats.
type counters struct {
	drops                                    [NumDropCauses]atomic.Uint64
	packetsIn, bytesIn, packetsOut, bytesOut atomic.Uint64
	hsXX, hsIK, cookies                      atomic.Uint64
	readBatches, writeBatches                atomic.Uint64
	disconnects, byes, restarts              atomic.Uint64
}

func (c *counters) drop(d DropCause) { c.drops[d].Add(1) }

func (c *counters) snapshot() Stats {
	var s Stats
	for i := range s.Drops {
		s.Drops[i] = c.drops[i].Load()
	}
	s.PacketsIn, s.BytesIn = c.packetsIn.Load(), c.bytesIn.Load()
	s.PacketsOut, s.BytesOut = c.packetsOut.Load(), c.bytesOut.Load()
	s.HandshakesXX, s.HandshakesIK, s.CookiesSent = c.hsXX.Load(), c.hsIK.Load(), c.cookies.Load()
	s.ReadBatches, s.WriteBatches = c.readBatches.Load(), c.writeBatches.Load()
	s.Disconnects, s.Byes, s.Restarts = c.disconnects.Load(), c.byes.Load(), c.restarts.Load()
	return s
}
