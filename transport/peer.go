package transport

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport/internal/pacer"
	"github.com/gwyh/gwyh/transport/internal/reasm"
	"github.com/gwyh/gwyh/transport/internal/replay"
)

// keypair is one direction-pair of session keys (a "session" in WireGuard's
// words). send is used only by the writer goroutine, recv and replay only by
// the reader goroutine.
type keypair struct {
	peer      *peerState
	local     uint32 // our index: peers put it in packets to us
	remote    uint32 // the peer's index: we put it in packets to it
	initiator bool
	created   time.Time
	send      aeadDir
	recv      aeadDir
	replay    replay.Filter
	sendCount atomic.Uint64 // next counter to send
	confirmed atomic.Bool   // a packet arrived on it
	dead      atomic.Bool   // removed from Conn.index

	// Receive counters for reports (reader writes, timer reads), under rxMu
	// so that a report's packets and highest counter are consistent.
	// rxReported is the highest counter already reported.
	rxMu                                      sync.Mutex
	rxPackets, rxBytes, rxHighest, rxReported uint64

	// Sender side of reports (reader only).
	repPackets, repHighest uint64
	repSeen                bool

	// XX initiator: the final message, resent until the keypair is confirmed.
	final     []byte
	finalSent atomic.Int64 // unix nanos of the last send
}

func (kp *keypair) rxHighestLoad() uint64 {
	kp.rxMu.Lock()
	defer kp.rxMu.Unlock()
	return kp.rxHighest
}

// peerState is one peer with a session. Fields under mu unless noted.
type peerState struct {
	id     peer.ID
	static [32]byte
	addr   atomic.Pointer[netip.AddrPort]

	lastRecv atomic.Int64 // unix nanos of the last authentic packet (reader)

	mu                   sync.Mutex
	current, next        *keypair
	old                  []*keypair // earlier sessions, newest first, at most maxOldKeypairs
	up                   bool       // EventPeerUp sent
	gone                 bool       // removed from the Conn
	queue                sendQueue
	pacer                pacer.Pacer
	keepalive            bool // send an empty packet soon (IK confirmation)
	ready                bool // in Conn.ready; guarded by Conn.readyMu
	msgID                uint32
	lastPing, lastReport time.Time
	rekeyAt              time.Time // when the last rekey handshake started
	rtt                  time.Duration
	rekeys               uint64
	sent, sentBytes      uint64
	recvd, recvdBytes    atomic.Uint64

	reasm reasm.Reassembler // guarded by Conn.reasmMu
}

func (p *peerState) address() netip.AddrPort {
	if a := p.addr.Load(); a != nil {
		return *a
	}
	return netip.AddrPort{}
}

// maxOldKeypairs is how many replaced sessions stay valid for receiving.
// Crossing or retried handshakes can leave the two sides briefly disagreeing
// on which session is current; keeping a few old ones means a packet sealed
// on any recent session still opens.
const maxOldKeypairs = 3

// recvKeypairs returns the sessions a report may be about. p.mu held.
func (p *peerState) recvKeypairs() []*keypair {
	ks := make([]*keypair, 0, 1+len(p.old))
	if p.current != nil {
		ks = append(ks, p.current)
	}
	return append(ks, p.old...)
}

// sendKeypair returns the keypair to send on, or nil. p.mu held.
func (p *peerState) sendKeypair() *keypair {
	kp := p.current
	if kp == nil || kp.sendCount.Load() >= replay.RejectAfterMessages {
		return nil
	}
	return kp
}
