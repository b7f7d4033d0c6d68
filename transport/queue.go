package transport

import (
	"math/bits"
	"sync"
)

// Priority orders a peer's send queue. Higher values go first and are
// dropped last.
type Priority uint8

const (
	// PriorityGossip is for traffic that may be lost cheaply (IHAVE/IWANT).
	PriorityGossip Priority = iota
	// PriorityMessage is for published messages.
	PriorityMessage
	// PriorityControl is for control traffic (GRAFT, PRUNE, subscriptions).
	PriorityControl
	// NumPriorities is the number of priorities.
	NumPriorities = 3
)

// queueItem is one payload as encoded frames (a payload frame, or all the
// fragment frames of one message); off is how much the writer already sent.
// box, when not nil, holds buf for frameBufs: the queue gives it back once
// the item is sent or dropped.
type queueItem struct {
	buf []byte
	off int
	box *[]byte
}

// frameBufs recycles the buffers of queued frames: the writer copies
// frames into packets, so a sent item's buffer is free at once, and Send
// then allocates nothing. One sync.Pool per power-of-two size class from
// 64 B to 64 KiB (larger messages are allocated); shared by all Conns.
var frameBufs [frameClasses]sync.Pool

const (
	frameClassMin = 6 // 64 B
	frameClasses  = 11
)

// newFrameBuf returns an empty buffer with room for n bytes and its box
// (nil when n is beyond the pooled sizes).
func newFrameBuf(n int) ([]byte, *[]byte) {
	c := max(0, bits.Len(uint(n-1))-frameClassMin)
	if n <= 0 {
		c = 0
	}
	if c >= frameClasses {
		return make([]byte, 0, n), nil
	}
	if box, ok := frameBufs[c].Get().(*[]byte); ok {
		return (*box)[:0], box
	}
	b := make([]byte, 0, 1<<(c+frameClassMin))
	return b, &b
}

// release gives the item's buffer back to frameBufs; the item must not be
// used after.
func (it *queueItem) release() {
	if it.box == nil {
		return
	}
	c := bits.Len(uint(cap(it.buf)-1)) - frameClassMin
	if c < 0 || c >= frameClasses || cap(it.buf) != 1<<(c+frameClassMin) {
		it.buf, it.box = nil, nil // not one of ours (grown by an append): let it go
		return
	}
	*it.box = it.buf[:0]
	frameBufs[c].Put(it.box)
	it.buf, it.box = nil, nil
}

// fifo is a slice-backed queue of items, held by value (one allocation per
// payload, its frames, not two).
type fifo struct {
	items []queueItem
	head  int
}

func (f *fifo) len() int { return len(f.items) - f.head }

func (f *fifo) push(it queueItem) { f.items = append(f.items, it) }

// front returns the oldest item; the pointer is valid until the next push.
func (f *fifo) front() *queueItem { return &f.items[f.head] }

func (f *fifo) popFront() {
	f.items[f.head] = queueItem{}
	f.head++
	if f.head == len(f.items) {
		f.items, f.head = f.items[:0], 0
	} else if f.head > 1024 && f.head*2 > len(f.items) {
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
}

// popBack removes the newest item unless it is the partly sent front one.
func (f *fifo) popBack() (queueItem, bool) {
	if f.len() == 0 {
		return queueItem{}, false
	}
	last := len(f.items) - 1
	it := f.items[last]
	if last == f.head && it.off > 0 {
		return queueItem{}, false
	}
	f.items[last] = queueItem{}
	f.items = f.items[:last]
	if f.len() == 0 {
		f.items, f.head = f.items[:0], 0
	}
	return it, true
}

// sendQueue is a peer's three FIFOs bounded together in bytes. Not safe for
// concurrent use (guarded by the peer's mutex).
type sendQueue struct {
	q     [NumPriorities]fifo
	bytes int
	limit int
	drops [NumPriorities]uint64
}

// push queues it at prio, evicting the newest lower-priority items if needed.
// It reports whether it was queued and how many items were evicted.
func (s *sendQueue) push(prio Priority, it queueItem) (ok bool, evicted int) {
	need := len(it.buf)
	for s.bytes+need > s.limit {
		victim := -1
		for p := 0; p < int(prio); p++ {
			if s.q[p].len() > 0 {
				victim = p
				break
			}
		}
		if victim < 0 {
			break
		}
		v, ok := s.q[victim].popBack()
		if !ok {
			break
		}
		s.bytes -= len(v.buf) - v.off
		v.release()
		s.drops[victim]++
		evicted++
	}
	if s.bytes+need > s.limit {
		s.drops[prio]++
		return false, evicted
	}
	s.q[prio].push(it)
	s.bytes += need
	return true, evicted
}

// fill appends whole frames from the queue, highest priority first, to b
// while they fit in limit bytes. When the next frame of a priority does not
// fit, lower priorities may fill the rest of the packet (each priority
// stays in order; the frame that did not fit leads the next packet), so a
// peer's queue goes out in as few datagrams as frame boundaries allow.
func (s *sendQueue) fill(b []byte, limit int) []byte {
	for p := NumPriorities - 1; p >= 0; p-- {
		q := &s.q[p]
		for q.len() > 0 {
			it := q.front()
			n := frameLen(it.buf[it.off:])
			if len(b)+n > limit {
				break
			}
			b = append(b, it.buf[it.off:it.off+n]...)
			it.off += n
			s.bytes -= n
			if it.off == len(it.buf) {
				it.release()
				q.popFront()
			}
		}
	}
	return b
}

func (s *sendQueue) empty() bool { return s.bytes == 0 }

// clear empties the queue and returns how many items were discarded.
func (s *sendQueue) clear() int {
	n := 0
	for p := range s.q {
		f := &s.q[p]
		n += f.len()
		for i := f.head; i < len(f.items); i++ {
			f.items[i].release()
		}
		s.q[p] = fifo{}
	}
	s.bytes = 0
	return n
}
