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
//
// Key material is wiped on a best-effort basis only: the key copies the
// transport makes are cleared once the AEADs are keyed (splitKeys), and a
// retired keypair is dropped from every table so nothing reaches its
// AEADs any more; but the AEADs' own key schedules (crypto/cipher and
// x/crypto keep them unexported), the Noise library's copies, and any copy
// the Go runtime made while moving or collecting memory stay until the
// garbage collector reuses that memory.
type keypair struct {
	peer      *peerState
	local     uint32 // our index: peers put it in packets to us
	remote    uint32 // the peer's index: we put it in packets to it
	initiator bool   // we sent msg1 of the handshake that made it
	created   time.Time
	installed uint64         // when install made it, on Conn.order (crossed.go)
	addr      netip.AddrPort // the peer's address the handshake proved (Event.Addr)
	netKey    *netKey        // the network key the handshake used
	send      aeadDir
	recv      aeadDir
	replay    replay.Filter
	limits    aeadLimits    // of its cipher
	sendCount atomic.Uint64 // next counter to send
	confirmed atomic.Bool   // a packet arrived on it
	// candidate: an unconfirmed IK responder session pushed into old by a
	// newer one; it becomes current if the peer sends on it (confirm).
	// Guarded by the peer's mu.
	candidate bool
	dead      atomic.Bool   // removed from Conn.index
	authFails atomic.Uint64 // packets that failed to open on it (reader)

	// Receive counters for reports (reader writes, timer reads), under rxMu
	// so that a report's packets and highest counter are consistent.
	// rxDue: a packet carrying payload arrived since the last report.
	rxMu                          sync.Mutex
	rxPackets, rxBytes, rxHighest uint64
	rxDue                         bool

	// Sender side of reports (reader only).
	repPackets, repHighest uint64
	repSeen                bool

	// XX initiator: the final message, resent until the keypair is confirmed,
	// first after twice the handshake's round trip, then backing off to
	// HandshakeRetry (queued data waits for the confirmation, see held).
	final      []byte
	finalSent  atomic.Int64 // unix nanos of the last send
	finalEvery atomic.Int64 // current resend interval, nanoseconds
}

// received counts a packet with counter ctr and size bytes on kp's
// receive side. data: it carried payload (whole or a fragment); shed: its
// payload was dropped here (the Events channel was full), so it counts as
// lost in the next report. Only packets with payload make a report due:
// reports exist to pace data, and a packet of nothing but control frames
// (a report, a ping, a pong) answered by a report would have two idle
// peers trade reports every ReportInterval for ever.
func (kp *keypair) received(ctr uint64, size int, data, shed bool) {
	kp.rxMu.Lock()
	defer kp.rxMu.Unlock()
	if !shed {
		kp.rxPackets++
		kp.rxBytes += uint64(size)
	}
	kp.rxHighest = max(kp.rxHighest, ctr+1)
	if data {
		kp.rxDue = true
		if p := kp.peer; p != nil && !p.reportDue.Load() {
			p.reportDue.Store(true)
		}
	}
}

// takeReport returns the report kp owes its sender, if a packet with
// payload arrived since the last: the counters of every packet on the
// session, control ones included, so that the sender's loss estimate
// (highest against packets) counts them all.
func (kp *keypair) takeReport() (report, bool) {
	kp.rxMu.Lock()
	defer kp.rxMu.Unlock()
	if !kp.rxDue {
		return report{}, false
	}
	kp.rxDue = false
	return report{Index: kp.remote, Packets: kp.rxPackets, Bytes: kp.rxBytes, Highest: kp.rxHighest}, true
}

func (kp *keypair) rxHighestLoad() uint64 {
	kp.rxMu.Lock()
	defer kp.rxMu.Unlock()
	return kp.rxHighest
}

// peerState is one peer with a session. Fields under mu unless noted.
type peerState struct {
	id     peer.ID
	static [32]byte // the live instance's Noise static key (under mu)
	epoch  uint64   // and its epoch (under mu)
	addr   atomic.Pointer[netip.AddrPort]

	lastRecv atomic.Int64 // unix nanos of the last authentic packet (reader)
	// tickAt: unix nanos before which tickPeer has nothing to do for the
	// peer but send reports (timer; 0, stored by install, asks for the
	// next tick). reportDue: a packet with payload arrived since tickPeer
	// last collected reports (reader sets it, timer clears it).
	tickAt    atomic.Int64
	reportDue atomic.Bool

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
// on any recent session still opens. Old sessions are also retired once
// older than Options.RejectAfterTime (see expireKeypairsLocked).
const maxOldKeypairs = 3

// keypairBuf holds what recvKeypairs returns (and room for next), so that
// callers keep it on their stacks.
type keypairBuf [2 + maxOldKeypairs]*keypair

// recvKeypairs returns the sessions a report may be about, in buf. p.mu
// held.
func (p *peerState) recvKeypairs(buf *keypairBuf) []*keypair {
	ks := buf[:0]
	if p.current != nil {
		ks = append(ks, p.current)
	}
	return append(ks, p.old...)
}

// sendKeypair returns the keypair to send on at now, or nil: the current
// one, unless it is older than rejectAfter (Options.RejectAfterTime) or
// sealed as many packets as its cipher allows (aeadLimits). p.mu held.
func (p *peerState) sendKeypair(now time.Time, rejectAfter time.Duration) *keypair {
	kp := p.current
	if kp == nil || !kp.usable(now, rejectAfter) || kp.sendCount.Load() >= kp.limits.rejectAfter {
		return nil
	}
	return kp
}

// usable reports whether kp may still send or receive at now: it is younger
// than rejectAfter (Options.RejectAfterTime, as WireGuard's
// Reject-After-Time) and still counted as in use.
func (kp *keypair) usable(now time.Time, rejectAfter time.Duration) bool {
	return now.Sub(kp.created) < rejectAfter && !kp.dead.Load()
}

// held reports whether the queue must wait rather than go out on kp: an XX
// initiator's session is not used for queued data until the responder
// showed it read msg3 (its ping on the session). Until then packets on it
// would be dropped as of an unknown session if msg3 was lost or the
// handshake lost a crossing (crossed.go); held, they leave once confirmed.
func (kp *keypair) held() bool { return kp.final != nil && !kp.confirmed.Load() }
