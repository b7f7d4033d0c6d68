package transport

import (
	"time"
)

// Reassembly of fragmented messages. Fragments are not retransmitted: a
// message missing a fragment past ReassemblyTimeout is discarded and counted.
// Memory is capped per peer and across the Conn; a partial message is charged
// for its fragment table and every byte held, so the work and memory are
// proportional to bytes received. Duplicate fragments are ignored.

const fragSlotCost = 24 // charged per fragment slot (a slice header)

type partial struct {
	frags   [][]byte
	got     int
	size    int // data bytes held
	cost    int // bytes charged to the caps
	started time.Time
}

// reassembler holds one peer's partial messages. Guarded by Conn.reasmMu.
type reassembler struct {
	msgs  map[uint32]*partial
	bytes int
	drops uint64
}

// reasmLimits are the caps, plus the Conn-wide byte count they share.
type reasmLimits struct {
	maxMessage, peerBytes, totalBytes int
	total                             *int
}

// add takes one fragment frame and returns the whole message when it
// completes. ok is false, with cause, when something was dropped.
func (r *reassembler) add(f frame, now time.Time, lim reasmLimits) (msg []byte, cause DropCause, dropped bool) {
	if int(f.Count-1)*minFragmentData >= lim.maxMessage {
		return nil, DropMalformed, true
	}
	p := r.msgs[f.MsgID]
	if p == nil {
		cost := int(f.Count) * fragSlotCost
		if r.bytes+cost > lim.peerBytes || *lim.total+cost > lim.totalBytes {
			r.drops++
			return nil, DropReassemblyOverflow, true
		}
		if r.msgs == nil {
			r.msgs = map[uint32]*partial{}
		}
		p = &partial{frags: make([][]byte, f.Count), started: now, cost: cost}
		r.msgs[f.MsgID] = p
		r.bytes += cost
		*lim.total += cost
	}
	if int(f.Count) != len(p.frags) {
		return nil, DropMalformed, true
	}
	if p.frags[f.Index] != nil {
		return nil, 0, false // duplicate: harmless
	}
	n := len(f.Data)
	if p.size+n > lim.maxMessage || r.bytes+n > lim.peerBytes || *lim.total+n > lim.totalBytes {
		r.discard(f.MsgID, lim.total)
		return nil, DropReassemblyOverflow, true
	}
	p.frags[f.Index] = append([]byte(nil), f.Data...)
	p.got++
	p.size += n
	p.cost += n
	r.bytes += n
	*lim.total += n
	if p.got < len(p.frags) {
		return nil, 0, false
	}
	msg = make([]byte, 0, p.size)
	for _, b := range p.frags {
		msg = append(msg, b...)
	}
	r.remove(f.MsgID, lim.total)
	return msg, 0, false
}

func (r *reassembler) remove(id uint32, total *int) {
	p := r.msgs[id]
	r.bytes -= p.cost
	*total -= p.cost
	delete(r.msgs, id)
}

func (r *reassembler) discard(id uint32, total *int) {
	r.remove(id, total)
	r.drops++
}

// expire discards partial messages started before cutoff and returns how many.
func (r *reassembler) expire(cutoff time.Time, total *int) int {
	n := 0
	for id, p := range r.msgs {
		if p.started.Before(cutoff) {
			r.discard(id, total)
			n++
		}
	}
	return n
}

// reset discards everything (peer gone) and returns how many were discarded.
func (r *reassembler) reset(total *int) int {
	n := len(r.msgs)
	for id := range r.msgs {
		r.remove(id, total)
	}
	return n
}
