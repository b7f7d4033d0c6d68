package transport

import (
	"errors"
	"runtime"
	"time"

	"github.com/benbjohnson/clock"
)

// writer state, owned by the writer goroutine.
type writer struct {
	c     *Conn
	bufs  [batchSize][]byte // allocated when first needed; see trimBufs
	pkts  []Packet
	timer *clock.Timer
	spare []*peerState // the other buffer of Conn.ready (see fill)
	// high is the largest batch of the flushes since the last trim
	// (trimBufs).
	high, flushes int
}

// writeLoop is the only goroutine that seals data packets and writes to
// the socket. It wakes on Conn.wake, on handshake packets, or when the pacer
// of a peer with queued data allows it to send again.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	w := &writer{c: c, pkts: make([]Packet, 0, batchSize)}
	w.timer = c.clock.Timer(time.Hour)
	defer w.timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-w.timer.C:
		case p := <-c.rawOut:
			w.pkts = append(w.pkts, p)
		}
		// Let senders that are running add to the queues, so one syscall
		// carries a batch rather than the first packet.
		runtime.Gosched()
		w.run()
	}
}

// run writes batches until nothing is sendable now, then arms the timer for
// the earliest pacer deadline.
func (w *writer) run() {
	for {
		w.drainRaw()
		more, wait := w.fill()
		w.flush()
		if more {
			continue
		}
		if wait > 0 {
			w.timer.Reset(wait)
		}
		return
	}
}

func (w *writer) drainRaw() {
	for len(w.pkts) < batchSize {
		select {
		case p := <-w.c.rawOut:
			w.pkts = append(w.pkts, p)
		default:
			return
		}
	}
}

func (w *writer) flush() {
	if len(w.pkts) == 0 {
		return
	}
	c := w.c
	c.stats.writeBatches.Add(1)
	if err := c.sock.WriteBatch(w.pkts); err != nil {
		var we *writeError
		switch {
		case c.closed():
		case errors.As(err, &we):
			// Part of the batch went out (udpSocket): count what did not.
			c.stats.drops[DropWriteError].Add(uint64(we.lost))
			c.countOut(w.pkts, len(w.pkts)-we.lost)
			c.log.Debug("transport: write", "err", err)
		default:
			c.stats.drops[DropWriteError].Add(uint64(len(w.pkts)))
			c.log.Debug("transport: write", "err", err)
		}
	} else {
		c.countOut(w.pkts, len(w.pkts))
	}
	w.trimBufs(len(w.pkts))
	clear(w.pkts)
	w.pkts = w.pkts[:0]
}

// trimBufs notes a batch of n packets, and every trimWriteBufs batches
// frees the buffers beyond twice the most those batches used (keeping
// minWriteBufs), so that a writer quiet after a burst gives them back.
func (w *writer) trimBufs(n int) {
	w.high = max(w.high, n)
	if w.flushes++; w.flushes < trimWriteBufs {
		return
	}
	for i := max(2*w.high, minWriteBufs); i < len(w.bufs); i++ {
		w.bufs[i] = nil
	}
	w.high, w.flushes = 0, 0
}

// trimWriteBufs is how many batches the writer looks back on when it frees
// buffers, and minWriteBufs how many it keeps at least (trimBufs).
const (
	trimWriteBufs = 256
	minWriteBufs  = 8
)

// countOut counts n datagrams of pkts as written; when some were lost
// (n < len(pkts)) their bytes are estimated from the batch's average.
func (c *Conn) countOut(pkts []Packet, n int) {
	var b uint64
	for i := range pkts {
		b += uint64(len(pkts[i].Buf))
	}
	if n < len(pkts) {
		b = b * uint64(n) / uint64(len(pkts))
	}
	c.stats.packetsOut.Add(uint64(n))
	c.stats.bytesOut.Add(b)
}

// fill takes packets from ready peers into the batch. more: the batch filled
// up with data still waiting; wait: the soonest a paced peer may send again.
func (w *writer) fill() (more bool, wait time.Duration) {
	c := w.c
	c.readyMu.Lock()
	list := c.ready
	c.ready = w.spare[:0]
	c.readyMu.Unlock()
	if len(list) == 0 {
		w.spare = list
		return false, 0
	}
	now := c.clock.Now()
	// The peers still pending are kept in list itself, in order (keep
	// never passes i), so that a round allocates nothing.
	keep := list[:0]
	for i, p := range list {
		if len(w.pkts) >= batchSize {
			keep = append(keep, list[i:]...)
			more = true
			break
		}
		pending, pw := w.fillPeer(p, now)
		if pending {
			keep = append(keep, p)
			if pw > 0 && (wait == 0 || pw < wait) {
				wait = pw
			}
			if pw == 0 {
				more = true
			}
		}
	}
	clear(list[len(keep):])
	c.readyMu.Lock()
	added := c.ready // peers marked ready meanwhile go after the kept ones
	c.ready = append(keep, added...)
	c.readyMu.Unlock()
	clear(added)
	w.spare = added[:0]
	return more, wait
}

// notReady takes p off the ready list. It is called with p.mu held after
// p's queue was found empty, so a Send that queues after it sees
// p.ready == false and puts p back.
func (c *Conn) notReady(p *peerState) {
	c.readyMu.Lock()
	p.ready = false
	c.readyMu.Unlock()
}

// fillPeer seals as many of p's packets as the batch and pacer allow. It
// reports whether p still has something to send and, if the pacer stopped
// it, how long to wait. A peer without a usable keypair keeps its queue and
// is put back on the list when a session is installed.
func (w *writer) fillPeer(p *peerState, now time.Time) (pending bool, wait time.Duration) {
	c := w.c
	p.mu.Lock()
	defer p.mu.Unlock()
	kp := p.sendKeypair(now, c.opts.RejectAfterTime)
	if kp == nil || kp.held() || p.gone {
		c.notReady(p)
		return false, 0
	}
	to := p.address()
	room := c.maxPlain()
	for len(w.pkts) < batchSize {
		if kp.sendCount.Load() >= kp.limits.rejectAfter {
			c.notReady(p) // the cipher allows no more on this key: wait for the rekey
			return false, 0
		}
		if p.queue.empty() && !p.keepalive {
			c.notReady(p)
			return false, 0
		}
		if !p.pacer.Allow(now) {
			return true, max(p.pacer.Wait(), time.Microsecond)
		}
		slot := len(w.pkts)
		if cap(w.bufs[slot]) == 0 {
			// Allocated when first needed: most Conns never fill a batch.
			w.bufs[slot] = make([]byte, 0, c.opts.MTU)
		}
		pkt := p.queue.fill(w.bufs[slot][:dataHeaderSize], dataHeaderSize+room)
		p.keepalive = false
		ctr := kp.sendCount.Add(1) - 1
		out := kp.send.sealInPlace(pkt, kp.remote, ctr)
		w.bufs[slot] = out
		w.pkts = append(w.pkts, Packet{Buf: out, Addr: to})
		p.pacer.Spend(len(out))
		p.sent++
		p.sentBytes += uint64(len(out))
	}
	if p.queue.empty() && !p.keepalive {
		c.notReady(p)
		return false, 0
	}
	return true, 0
}
