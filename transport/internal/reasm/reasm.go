// Package reasm reassembles the fragments of large messages for package
// transport, within memory caps. It implements no external specification:
// like IPv4 reassembly (RFC 791 §3.2) it collects fragments by message ID
// and gives up on a message when a timer runs out, and fragments are never
// retransmitted. A partial message is charged for its fragment table and
// every byte it holds, against a per-peer cap and a budget shared by all
// peers (a Pool), so work and memory stay proportional to bytes received.
//
// Fairness: a peer may hold up to Limits.PeerBytes while the shared budget
// has room. When it is full, a peer holding less than its fair share (the
// budget divided by the number of peers holding partials, itself included)
// may evict the oldest partials of the peer holding the most, as long as
// that peer holds more than the fair share. So however many bytes a few
// peers send, every other peer keeps room for its share.
//
// It is for package transport only.
package reasm

import (
	"container/heap"
	"time"
)

// slotCost is charged per fragment slot (a slice header).
const slotCost = 24

// Drop says why Add discarded something.
type Drop uint8

const (
	NoDrop    Drop = iota // nothing discarded (a duplicate fragment is ignored, not dropped)
	Malformed             // the fragment contradicts the message or the limits
	Overflow              // a memory cap or MaxMessage would be exceeded
	Closed                // the Reassembler was closed (its peer is gone)
)

// Fragment is one fragment frame. Data is copied by Add.
type Fragment struct {
	MsgID        uint32
	Index, Count uint16 // Index < Count, checked by the frame parser
	Data         []byte
}

// Limits are the caps of a Pool.
type Limits struct {
	MaxMessage  int // bytes in one message
	PeerBytes   int // bytes held for one peer
	TotalBytes  int // bytes held for all peers
	MinFragment int // every fragment but the last carries at least this much
}

// Pool is the budget shared by the Reassemblers of one transport.Conn: the
// caps, the bytes held, every partial message in arrival order (so Expire
// touches only expired ones) and the peers holding bytes, most first (so
// eviction finds the biggest at once). It is not safe for concurrent use:
// transport guards a Pool and all its Reassemblers with one mutex.
type Pool struct {
	lim        Limits
	total      int
	head, tail *partial   // all partials, oldest first
	holders    holderHeap // Reassemblers holding bytes, the most on top
}

// NewPool returns an empty Pool with limits lim.
func NewPool(lim Limits) *Pool { return &Pool{lim: lim} }

// Total returns the bytes held for all peers.
func (pl *Pool) Total() int { return pl.total }

type partial struct {
	r            *Reassembler
	id           uint32
	frags        [][]byte
	got          int
	size         int // data bytes held
	cost         int // bytes charged to the caps
	started      time.Time
	prev, next   *partial // in Pool order
	rprev, rnext *partial // in Reassembler order
}

// Reassembler holds one peer's partial messages. The zero value is empty and
// ready; it is used through the Pool that charges it, and must not be
// copied once used.
type Reassembler struct {
	msgs       map[uint32]*partial
	head, tail *partial // oldest first
	bytes      int
	drops      uint64
	closed     bool
	slot       int // 1 + index in Pool.holders; 0 when holding nothing
}

// Drops counts the partial messages discarded (over a cap, evicted or
// expired).
func (r *Reassembler) Drops() uint64 { return r.drops }

// Bytes returns the bytes charged for r's partial messages.
func (r *Reassembler) Bytes() int { return r.bytes }

// Add takes one fragment for r and returns the whole message, newly
// allocated, when it completes; drop says what was discarded, if anything,
// and evicted how many partial messages of other peers were discarded to
// make room for it (see the package doc). A closed r refuses every
// fragment (Closed).
func (pl *Pool) Add(r *Reassembler, f Fragment, now time.Time) (msg []byte, drop Drop, evicted int) {
	if r.closed {
		return nil, Closed, 0
	}
	if int(f.Count-1)*pl.lim.MinFragment >= pl.lim.MaxMessage {
		return nil, Malformed, 0
	}
	p := r.msgs[f.MsgID]
	if p == nil {
		cost := int(f.Count) * slotCost
		ok, ev := pl.reserve(r, cost)
		if !ok {
			r.drops++
			return nil, Overflow, ev
		}
		evicted += ev
		if r.msgs == nil {
			r.msgs = map[uint32]*partial{}
		}
		p = &partial{r: r, id: f.MsgID, frags: make([][]byte, f.Count), started: now}
		r.msgs[f.MsgID] = p
		pl.link(p)
		pl.charge(p, cost)
	}
	if int(f.Count) != len(p.frags) {
		return nil, Malformed, evicted
	}
	if p.frags[f.Index] != nil {
		return nil, NoDrop, evicted // duplicate: harmless
	}
	n := len(f.Data)
	if p.size+n > pl.lim.MaxMessage {
		pl.discard(p)
		return nil, Overflow, evicted
	}
	ok, ev := pl.reserve(r, n)
	evicted += ev
	if !ok {
		pl.discard(p)
		return nil, Overflow, evicted
	}
	p.frags[f.Index] = append([]byte(nil), f.Data...)
	p.got++
	p.size += n
	pl.charge(p, n)
	if p.got < len(p.frags) {
		return nil, NoDrop, evicted
	}
	msg = make([]byte, 0, p.size)
	for _, b := range p.frags {
		msg = append(msg, b...)
	}
	pl.remove(p)
	return msg, NoDrop, evicted
}

// reserve reports whether n more bytes for r fit the caps, evicting other
// peers' oldest partials when r is under its fair share of a full budget;
// evicted counts them.
func (pl *Pool) reserve(r *Reassembler, n int) (ok bool, evicted int) {
	if r.bytes+n > pl.lim.PeerBytes {
		return false, 0
	}
	for pl.total+n > pl.lim.TotalBytes {
		active := len(pl.holders)
		if r.slot == 0 {
			active++
		}
		fair := pl.lim.TotalBytes / active
		if r.bytes+n > fair {
			return false, evicted
		}
		v := pl.holders[0]
		if v == r || v.bytes <= fair {
			return false, evicted
		}
		pl.discard(v.head)
		evicted++
	}
	return true, evicted
}

// Expire discards the partial messages started before cutoff and returns how
// many it discarded. It touches only those (and the oldest one kept), as
// partials are kept in arrival order; times must not go backwards (if they
// do, a partial may expire late, never early).
func (pl *Pool) Expire(cutoff time.Time) int {
	n := 0
	for pl.head != nil && pl.head.started.Before(cutoff) {
		pl.discard(pl.head)
		n++
	}
	return n
}

// Close discards r's partial messages (its peer is gone) and returns how
// many; from then on r refuses every fragment, so nothing it is handed late
// stays charged to the Pool.
func (pl *Pool) Close(r *Reassembler) int {
	r.closed = true
	n := 0
	for r.head != nil {
		pl.remove(r.head)
		n++
	}
	return n
}

// link appends p to the Pool's and its Reassembler's arrival orders.
func (pl *Pool) link(p *partial) {
	p.prev = pl.tail
	if pl.tail != nil {
		pl.tail.next = p
	} else {
		pl.head = p
	}
	pl.tail = p
	r := p.r
	p.rprev = r.tail
	if r.tail != nil {
		r.tail.rnext = p
	} else {
		r.head = p
	}
	r.tail = p
}

func (pl *Pool) unlink(p *partial) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		pl.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		pl.tail = p.prev
	}
	r := p.r
	if p.rprev != nil {
		p.rprev.rnext = p.rnext
	} else {
		r.head = p.rnext
	}
	if p.rnext != nil {
		p.rnext.rprev = p.rprev
	} else {
		r.tail = p.rprev
	}
	p.prev, p.next, p.rprev, p.rnext = nil, nil, nil, nil
}

// charge adds n bytes to p, its Reassembler and the Pool.
func (pl *Pool) charge(p *partial, n int) {
	p.cost += n
	pl.total += n
	pl.setBytes(p.r, p.r.bytes+n)
}

// setBytes sets r's bytes and keeps the holders heap in order.
func (pl *Pool) setBytes(r *Reassembler, b int) {
	r.bytes = b
	switch {
	case r.slot == 0 && b > 0:
		heap.Push(&pl.holders, r)
	case r.slot != 0 && b == 0:
		heap.Remove(&pl.holders, r.slot-1)
	case r.slot != 0:
		heap.Fix(&pl.holders, r.slot-1)
	}
}

// remove forgets p and releases its bytes.
func (pl *Pool) remove(p *partial) {
	pl.unlink(p)
	delete(p.r.msgs, p.id)
	pl.total -= p.cost
	pl.setBytes(p.r, p.r.bytes-p.cost)
}

// discard removes p and counts it as a drop of its Reassembler.
func (pl *Pool) discard(p *partial) {
	pl.remove(p)
	p.r.drops++
}

// holderHeap is a max-heap of Reassemblers by bytes held.
type holderHeap []*Reassembler

func (h holderHeap) Len() int           { return len(h) }
func (h holderHeap) Less(i, j int) bool { return h[i].bytes > h[j].bytes }
func (h holderHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].slot, h[j].slot = i+1, j+1
}
func (h *holderHeap) Push(x any) {
	r := x.(*Reassembler)
	r.slot = len(*h) + 1
	*h = append(*h, r)
}
func (h *holderHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	r.slot = 0
	return r
}
