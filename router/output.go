package router

import (
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// Ready returns everything produced since the previous call to Ready: the
// Sends, Deliveries, Validations and Events, and the Deadline at which Tick
// is due. A second call with no input in between returns an empty Output
// (with the Deadline). The Output is the router's own memory, reused by the
// next input or call to Ready: read (or copy) what you need before calling
// any other method that changes the router. All fields are read-only.
func (r *Router) Ready() *Output {
	if r.drained {
		r.recycle()
	}
	r.drained = true
	r.out.Deadline = r.nextHeartbeat
	if next := r.pending.Next(); !next.IsZero() && next.Before(r.out.Deadline) {
		r.out.Deadline = next
	}
	return &r.out
}

// begin starts an input: the previous Output is recycled if it was drained,
// and the heartbeat clock starts at the first input.
func (r *Router) begin(now time.Time) {
	r.inputSeq++
	if r.drained {
		r.recycle()
	}
	if r.nextHeartbeat.IsZero() {
		r.nextHeartbeat = now.Add(r.p.HeartbeatInterval)
	}
}

// recycle empties the drained Output for reuse. Sends keep their RPCs'
// memory (rpcFor resets one when it is reused); the other lists are
// cleared so that they keep no message alive.
func (r *Router) recycle() {
	r.drained = false
	r.outEpoch++
	clear(r.out.Deliveries)
	clear(r.out.Validations)
	clear(r.out.Events)
	r.out.Sends = r.out.Sends[:0]
	r.out.Deliveries = r.out.Deliveries[:0]
	r.out.Validations = r.out.Validations[:0]
	r.out.Events = r.out.Events[:0]
}

// rpcFor returns the pending RPC to ps in the current Output, starting one
// (reusing the memory of an earlier Output's) when there is none.
func (r *Router) rpcFor(ps *peerState) *rpc.RPC {
	if ps.sendEpoch == r.outEpoch {
		return &r.out.Sends[ps.sendIdx].RPC
	}
	n := len(r.out.Sends)
	if n < cap(r.out.Sends) {
		r.out.Sends = r.out.Sends[:n+1]
		resetRPC(&r.out.Sends[n].RPC)
	} else {
		r.out.Sends = append(r.out.Sends, Send{})
	}
	s := &r.out.Sends[n]
	s.To = ps.id
	ps.sendEpoch, ps.sendIdx = r.outEpoch, n
	return &s.RPC
}

// resetRPC empties m keeping its slices' memory, like rpc.RPC.Reset but
// writing only the lengths of the lists in use (no pointer writes, so no
// write barriers on the hot path).
func resetRPC(m *rpc.RPC) {
	if len(m.Subscriptions) != 0 {
		m.Subscriptions = m.Subscriptions[:0]
	}
	if len(m.Publish) != 0 {
		m.Publish = m.Publish[:0]
	}
	if len(m.IHave) != 0 {
		m.IHave = m.IHave[:0]
	}
	if len(m.IWant) != 0 {
		m.IWant = m.IWant[:0]
	}
	if len(m.Graft) != 0 {
		m.Graft = m.Graft[:0]
	}
	if len(m.Prune) != 0 {
		m.Prune = m.Prune[:0]
	}
	if len(m.IDontWant) != 0 {
		m.IDontWant = m.IDontWant[:0]
	}
}

// emit appends an event.
func (r *Router) emit(e Event) {
	r.stats.Events++
	r.out.Events = append(r.out.Events, e)
}

// drop counts a drop and, when the drop concerns something worth naming,
// emits an EventDrop.
func (r *Router) drop(c DropCause, e Event) {
	r.stats.Drops[c]++
	e.Kind, e.Cause = EventDrop, c
	r.emit(e)
}

// appendIDs appends id to the last entry of a list of id lists (IWANT and
// IDONTWANT entries), starting one when empty, reusing slice memory.
func appendIDontWant(m *rpc.RPC, id string) {
	if len(m.IDontWant) == 0 {
		if cap(m.IDontWant) > 0 {
			m.IDontWant = m.IDontWant[:1]
			m.IDontWant[0].IDs = m.IDontWant[0].IDs[:0]
		} else {
			m.IDontWant = append(m.IDontWant, rpc.IDontWant{})
		}
	}
	e := &m.IDontWant[len(m.IDontWant)-1]
	e.IDs = append(e.IDs, id)
}

func appendIWant(m *rpc.RPC, ids []string) {
	if len(m.IWant) == 0 {
		if cap(m.IWant) > 0 {
			m.IWant = m.IWant[:1]
			m.IWant[0].IDs = m.IWant[0].IDs[:0]
		} else {
			m.IWant = append(m.IWant, rpc.IWant{})
		}
	}
	e := &m.IWant[len(m.IWant)-1]
	e.IDs = append(e.IDs, ids...)
}
