package transport

import (
	"fmt"

	"github.com/gwyh/gwyh/peer"
)

// Send queues payload for the peer to at priority prio and returns at once.
// The payload is copied; the caller may reuse it on return. A payload that
// does not fit one packet (MTU minus 35 bytes) travels as fragments, which
// are not retransmitted: if one is lost the receiver discards the message.
//
// Errors: ErrClosed; ErrTooLarge (over MaxMessageSize); ErrUnknownPeer (no
// session); ErrQueueFull when the queue has no room at prio even after
// evicting newer lower-priority payloads (the payload is dropped and
// counted). Priorities above PriorityControl count as PriorityControl.
func (c *Conn) Send(to peer.ID, payload []byte, prio Priority) error {
	if c.closed() {
		return ErrClosed
	}
	if len(payload) > c.opts.MaxMessageSize {
		return fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(payload), c.opts.MaxMessageSize)
	}
	prio = min(prio, PriorityControl)
	c.mu.Lock()
	p := c.peers[to]
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, to.Short())
	}
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownPeer, to.Short())
	}
	p.msgID++
	it := c.encodePayload(payload, p.msgID)
	ok, evicted := p.queue.push(prio, it)
	if !ok {
		it.release()
	}
	p.mu.Unlock()
	c.stats.drops[DropQueueFull].Add(uint64(evicted))
	if !ok {
		c.stats.drop(DropQueueFull)
		return fmt.Errorf("%w: %s priority %d", ErrQueueFull, to.Short(), prio)
	}
	c.markReady(p)
	c.nudge()
	return nil
}

// maxPlain is the plaintext room of one data packet.
func (c *Conn) maxPlain() int { return c.opts.MTU - dataOverhead }

// encodePayload encodes payload as one payload frame, or as fragment frames
// of message id when it does not fit one packet, into a buffer from
// frameBufs.
func (c *Conn) encodePayload(payload []byte, id uint32) queueItem {
	room := c.maxPlain()
	if payloadFrameHeader+len(payload) <= room {
		b, box := newFrameBuf(payloadFrameHeader + len(payload))
		return queueItem{buf: appendPayloadFrame(b, payload), box: box}
	}
	chunk := room - fragmentFrameHeader
	count := (len(payload) + chunk - 1) / chunk
	b, box := newFrameBuf(len(payload) + count*fragmentFrameHeader)
	for i := 0; i < count; i++ {
		part := payload[i*chunk : min(len(payload), (i+1)*chunk)]
		b = appendFragmentFrame(b, id, uint16(i), uint16(count), part)
	}
	return queueItem{buf: b, box: box}
}

// enqueueControl queues an internal frame (ping, pong, report) at control
// priority; it is dropped and counted if the queue is full.
func (c *Conn) enqueueControl(p *peerState, frame []byte) {
	// Copied into a recycled buffer: frame does not escape, so callers'
	// frames live on their stacks.
	b, box := newFrameBuf(len(frame))
	it := queueItem{buf: append(b, frame...), box: box}
	p.mu.Lock()
	ok, evicted := p.queue.push(PriorityControl, it)
	if !ok {
		it.release()
	}
	p.mu.Unlock()
	c.stats.drops[DropQueueFull].Add(uint64(evicted))
	if !ok {
		c.stats.drop(DropQueueFull)
		return
	}
	c.markReady(p)
	c.nudge()
}
