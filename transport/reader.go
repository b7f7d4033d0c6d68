package transport

import (
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/transport/internal/reasm"
)

// readLoop is the only goroutine that reads the socket. It opens data
// packets and runs the handshake state machine; payloads leave through
// Events.
func (c *Conn) readLoop() {
	defer c.wg.Done()
	size, count := max(c.opts.MTU, 2048), batchSize
	if s, ok := c.sock.(coalescer); ok && s.coalesces() && c.opts.CoalesceReceives {
		// Coalesced reads (UDP GRO) need whole 64 KiB buffers; a few of
		// them hold more datagrams than batchSize small ones.
		size, count = CoalesceBufferSize, coalesceBatch
	}
	batch := newReadBatch(count, size)
	for {
		n, err := c.sock.ReadBatch(batch.bufs())
		if err != nil {
			if c.closed() {
				return
			}
			c.log.Debug("transport: read", "err", err)
			select {
			case <-c.done:
				return
			case <-time.After(10 * time.Millisecond): // transient error; do not spin
			}
			continue
		}
		c.stats.readBatches.Add(1)
		pkts := batch.pkts
		now := c.clock.Now()
		for i := range n {
			b := pkts[i].Buf[:pkts[i].N]
			for {
				var d []byte
				d, b = nextSegment(b, pkts[i].Segment)
				c.handlePacket(d, pkts[i].Addr, now)
				if len(b) == 0 {
					break
				}
			}
		}
		batch.read(n)
	}
}

// readBatch is the reader's buffers. It starts with firstReadBatch of them,
// so that a quiet Conn holds few; it doubles, up to its count, when a read
// fills it, and halves, down to firstReadBatch, after shrinkReadBatch reads
// in a row that each took at most a quarter of it, so that a Conn quiet
// after a burst gives the buffers back.
type readBatch struct {
	pkts  []Packet // the first live have buffers
	live  int
	size  int // of a buffer
	small int // reads in a row that took at most live/4
}

func newReadBatch(count, size int) *readBatch {
	b := &readBatch{pkts: make([]Packet, count), live: min(count, firstReadBatch), size: size}
	for i := range b.live {
		b.pkts[i].Buf = make([]byte, size)
	}
	return b
}

// bufs is what the next read fills.
func (b *readBatch) bufs() []Packet { return b.pkts[:b.live] }

// read adapts the batch to a read that took n datagrams, once they are
// handled.
func (b *readBatch) read(n int) {
	switch {
	case n == b.live && b.live < len(b.pkts):
		grown := min(2*b.live, len(b.pkts))
		for i := b.live; i < grown; i++ {
			b.pkts[i].Buf = make([]byte, b.size)
		}
		b.live, b.small = grown, 0
	case n > b.live/4 || b.live <= firstReadBatch:
		b.small = 0
	default:
		if b.small++; b.small < shrinkReadBatch {
			return
		}
		for i := b.live / 2; i < b.live; i++ {
			b.pkts[i].Buf = nil
		}
		b.live, b.small = b.live/2, 0
	}
}

// firstReadBatch is how many datagrams a Conn's first reads take at once
// (see readBatch); shrinkReadBatch is how many small reads in a row halve
// a grown batch.
const (
	firstReadBatch  = 8
	shrinkReadBatch = 256
)

var typeDrops = map[error]DropCause{errShort: DropShort, errUnknownType: DropUnknownType, errUnpadded: DropUnpaddedInit}

// reasmDrops counts each kind of reassembly drop.
var reasmDrops = [...]DropCause{
	reasm.Malformed: DropMalformed, reasm.Overflow: DropReassemblyOverflow,
	reasm.Closed: DropPeerDown, // the peer was removed while its packet was being read
}

// handlePacket dispatches one datagram. b is reused after it returns.
func (c *Conn) handlePacket(b []byte, from netip.AddrPort, now time.Time) {
	c.stats.packetsIn.Add(1)
	c.stats.bytesIn.Add(uint64(len(b)))
	h, err := parsePacket(b)
	if err != nil {
		cause, ok := typeDrops[err]
		if !ok {
			cause = DropMalformed
		}
		c.stats.drop(cause)
		return
	}
	switch h.Type {
	case typeData:
		c.handleData(b, h, from, now)
	case typeHandshakeInit:
		c.handleInit(b, h, from, now)
	case typeHandshakeResponse:
		c.handleResponse(b, h, from, now)
	case typeHandshakeFinal:
		c.handleFinal(b, h, from, now)
	case typeCookieReply:
		c.handleCookie(b, h)
	}
}

// handleData authenticates a data packet and processes its frames.
func (c *Conn) handleData(b []byte, h header, from netip.AddrPort, now time.Time) {
	kp := c.rcache
	if kp == nil || kp.local != h.Receiver || kp.dead.Load() {
		c.mu.Lock()
		kp = c.index[h.Receiver]
		c.mu.Unlock()
		c.rcache = kp
	}
	if kp == nil {
		c.stats.drop(DropUnknownSession)
		return
	}
	if !kp.usable(now, c.opts.RejectAfterTime) {
		c.stats.drop(DropExpiredKeypair)
		return
	}
	plain, err := kp.recv.openData(b, h.Counter)
	if err != nil {
		c.stats.drop(DropAuth)
		if kp.authFails.Add(1) >= kp.limits.integrity {
			c.retire(kp) // RFC 9001 §6.6 integrity limit: no more tries on this key
		}
		return
	}
	if !kp.replay.Check(h.Counter) {
		c.stats.drop(DropReplay)
		return
	}
	p := kp.peer
	p.lastRecv.Store(now.UnixNano())
	p.recvd.Add(1)
	p.recvdBytes.Add(uint64(len(b)))
	if a := p.addr.Load(); a == nil || *a != from {
		// Roaming: the peer proved itself from a new address. A copy, so
		// that only a move, not every packet, allocates.
		moved := from
		p.addr.Store(&moved)
	}
	if !kp.confirmed.Load() {
		c.confirm(kp)
	}
	data, shed := c.handleFrames(p, kp, plain, from, now)
	// A packet whose payload we could not hand on (the Events channel was
	// full) is reported to the sender as lost: its rate controller then
	// backs off, so an overloaded receiver slows its senders down instead
	// of shedding their traffic for ever.
	kp.received(h.Counter, len(b), data, shed)
}

// handleFrames acts on the frames of one packet; data reports that it
// carried payload (whole or a fragment), shed that a payload among them
// was dropped because the Events channel was full.
func (c *Conn) handleFrames(p *peerState, kp *keypair, plain []byte, from netip.AddrPort, now time.Time) (data, shed bool) {
	// The packet's payloads are handed to Events together, under one lock
	// (see flushPayloads), in frame order.
	defer func() {
		if !c.flushPayloads() {
			shed = true
		}
	}()
	for len(plain) > 0 {
		f, rest, err := nextFrame(plain)
		if err != nil {
			c.stats.drop(DropMalformed)
			return data, shed
		}
		plain = rest
		switch f.Type {
		case framePayload:
			data = true
			c.payloads = append(c.payloads, Event{Kind: EventPayload, Peer: p.id, Addr: from, Payload: append([]byte(nil), f.Data...)})
		case frameFragment:
			data = true
			c.handleFragment(p, f, from, now)
		case framePing:
			c.enqueueControl(p, appendPingFrame(make([]byte, 0, pingFrameSize), framePong, f.TS))
		case framePong:
			c.handlePong(p, f.TS, now)
		case frameReport:
			c.handleReport(p, f.Rep)
		case frameBye:
			// The payloads before the bye go out before its EventPeerDown.
			if !c.flushPayloads() {
				shed = true
			}
			if c.handleBye(p, kp) {
				return data, shed // the session is gone; what follows is moot
			}
		}
	}
	return data, shed
}

// flushPayloads hands the payload events gathered from one packet to
// Events and reports whether all were taken (see Conn.deliver).
func (c *Conn) flushPayloads() bool {
	if len(c.payloads) == 0 {
		return true
	}
	ok := c.deliverAll(c.payloads)
	clear(c.payloads)
	c.payloads = c.payloads[:0]
	return ok
}

// handleFragment adds a fragment to its message and delivers the message
// when complete; it reports false when a completed message was dropped
// because the Events channel was full.
func (c *Conn) handleFragment(p *peerState, f frame, from netip.AddrPort, now time.Time) {
	c.reasmMu.Lock()
	msg, drop, evicted := c.reasm.Add(&p.reasm, reasm.Fragment{MsgID: f.MsgID, Index: f.Index, Count: f.Count, Data: f.Data}, now)
	c.reasmMu.Unlock()
	if drop != reasm.NoDrop {
		c.stats.drop(reasmDrops[drop])
	}
	// Partials of peers over their fair share, evicted to make room.
	c.stats.drops[DropReassemblyOverflow].Add(uint64(evicted))
	if msg != nil {
		c.payloads = append(c.payloads, Event{Kind: EventPayload, Peer: p.id, Addr: from, Payload: msg})
	}
}

// handlePong takes an RTT sample from an echoed ping timestamp.
func (c *Conn) handlePong(p *peerState, ts uint64, now time.Time) {
	sent := c.start.Add(time.Duration(ts))
	rtt := now.Sub(sent)
	if rtt < 0 || rtt > time.Minute {
		return // not one of ours
	}
	p.mu.Lock()
	if p.rtt == 0 {
		p.rtt = rtt
	} else {
		p.rtt = (7*p.rtt + rtt) / 8
	}
	p.mu.Unlock()
}

// handleReport turns a receiver report into a loss sample for the pacer:
// of the counters sent since the previous report (highest - previous
// highest), how many arrived (packets - previous packets).
func (c *Conn) handleReport(p *peerState, r report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var kp *keypair
	var buf keypairBuf
	for _, k := range p.recvKeypairs(&buf) {
		if k != nil && k.local == r.Index {
			kp = k
		}
	}
	if kp == nil {
		return
	}
	if !kp.repSeen || r.Highest < kp.repHighest || r.Packets < kp.repPackets {
		kp.repSeen, kp.repHighest, kp.repPackets = true, r.Highest, r.Packets
		return
	}
	expected := r.Highest - kp.repHighest
	got := r.Packets - kp.repPackets
	if expected < 8 {
		return // too few to judge; wait for the next report
	}
	loss := 0.0
	if got < expected {
		loss = float64(expected-got) / float64(expected)
	}
	kp.repHighest, kp.repPackets = r.Highest, r.Packets
	p.pacer.OnLoss(loss)
}
