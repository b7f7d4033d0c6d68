// Package reasm reassembles the fragments of large messages for package
// transport, within memory caps. It implements no external specification:
// like IPv4 reassembly (RFC 791 §3.2) it collects fragments by message ID
// and gives up on a message when a timer runs out, and fragments are never
// retransmitted. A partial message is charged for its fragment table and
// every byte it holds, against a per-peer cap and a cap shared by all peers,
// so work and memory stay proportional to bytes received. It is for package
// transport only.
package reasm

import "time"

// slotCost is charged per fragment slot (a slice header).
const slotCost = 24

// Drop says why Add discarded something.
type Drop uint8

const (
	NoDrop    Drop = iota // nothing discarded (a duplicate fragment is ignored, not dropped)
	Malformed             // the fragment contradicts the message or the limits
	Overflow              // a memory cap or MaxMessage would be exceeded
)

// Fragment is one fragment frame. Data is copied by Add.
type Fragment struct {
	MsgID        uint32
	Index, Count uint16 // Index < Count, checked by the frame parser
	Data         []byte
}

// Limits are the caps, plus the byte count shared by every Reassembler of a
// transport.Conn, which the caller guards.
type Limits struct {
	MaxMessage  int  // bytes in one message
	PeerBytes   int  // bytes held for one peer
	TotalBytes  int  // bytes held for all peers
	MinFragment int  // every fragment but the last carries at least this much
	Total       *int // bytes held for all peers now
}

type partial struct {
	frags   [][]byte
	got     int
	size    int // data bytes held
	cost    int // bytes charged to the caps
	started time.Time
}

// Reassembler holds one peer's partial messages. The zero value is empty and
// ready. It is not safe for concurrent use (transport guards all of a Conn's
// Reassemblers with one mutex, as they share Limits.Total).
type Reassembler struct {
	msgs  map[uint32]*partial
	bytes int
	drops uint64
}

// Drops counts the partial messages discarded (over a cap or expired).
func (r *Reassembler) Drops() uint64 { return r.drops }

// Add takes one fragment and returns the whole message, newly allocated,
// when it completes; drop says what was discarded, if anything.
func (r *Reassembler) Add(f Fragment, now time.Time, lim Limits) (msg []byte, drop Drop) {
	if int(f.Count-1)*lim.MinFragment >= lim.MaxMessage {
		return nil, Malformed
	}
	p := r.msgs[f.MsgID]
	if p == nil {
		cost := int(f.Count) * slotCost
		if r.bytes+cost > lim.PeerBytes || *lim.Total+cost > lim.TotalBytes {
			r.drops++
			return nil, Overflow
		}
		if r.msgs == nil {
			r.msgs = map[uint32]*partial{}
		}
		p = &partial{frags: make([][]byte, f.Count), started: now, cost: cost}
		r.msgs[f.MsgID] = p
		r.bytes += cost
		*lim.Total += cost
	}
	if int(f.Count) != len(p.frags) {
		return nil, Malformed
	}
	if p.frags[f.Index] != nil {
		return nil, NoDrop // duplicate: harmless
	}
	n := len(f.Data)
	if p.size+n > lim.MaxMessage || r.bytes+n > lim.PeerBytes || *lim.Total+n > lim.TotalBytes {
		r.discard(f.MsgID, lim.Total)
		return nil, Overflow
	}
	p.frags[f.Index] = append([]byte(nil), f.Data...)
	p.got++
	p.size += n
	p.cost += n
	r.bytes += n
	*lim.Total += n
	if p.got < len(p.frags) {
		return nil, NoDrop
	}
	msg = make([]byte, 0, p.size)
	for _, b := range p.frags {
		msg = append(msg, b...)
	}
	r.remove(f.MsgID, lim.Total)
	return msg, NoDrop
}

func (r *Reassembler) remove(id uint32, total *int) {
	p := r.msgs[id]
	r.bytes -= p.cost
	*total -= p.cost
	delete(r.msgs, id)
}

func (r *Reassembler) discard(id uint32, total *int) {
	r.remove(id, total)
	r.drops++
}

// Expire discards the partial messages started before cutoff and returns how
// many it discarded; total is Limits.Total.
func (r *Reassembler) Expire(cutoff time.Time, total *int) int {
	n := 0
	for id, p := range r.msgs {
		if p.started.Before(cutoff) {
			r.discard(id, total)
			n++
		}
	}
	return n
}

// Reset discards everything (the peer is gone) and returns how many partial
// messages it discarded; total is Limits.Total.
func (r *Reassembler) Reset(total *int) int {
	n := len(r.msgs)
	for id := range r.msgs {
		r.remove(id, total)
	}
	return n
}
