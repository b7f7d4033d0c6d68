package router

import (
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// HasReady reports whether Ready has something new: Sends, Deliveries,
// Validations or Events produced since the last Ready, or a Deadline other
// than the one it last returned. An owner loops "for r.HasReady() { out :=
// r.Ready(); act on out; r.Advance() }" after its inputs, in the manner of
// etcd-raft's RawNode; it never needs to track which inputs produced work.
func (r *Router) HasReady() bool {
	o := &r.out
	return len(o.Sends)+len(o.Deliveries)+len(o.Validations)+len(o.Events) > 0 ||
		!r.deadline().Equal(r.readyDeadline)
}

// Ready returns everything produced since the previous Ready: the Sends,
// Deliveries, Validations, Events and Published results, and the Deadline
// at which Tick is due. The Output is the router's memory and stays valid,
// unchanged, until Advance: the owner may call any input method (for
// example ValidationDone or RemovePeer) while it acts on the Output, and
// what those inputs produce goes into the next one. All fields are
// read-only. Calling Ready again without Advance first advances past the
// outstanding Output, so a second Ready with no input in between returns
// an empty Output (with the Deadline).
func (r *Router) Ready() *Output {
	if r.outstanding {
		r.Advance()
	}
	r.out.Deadline = r.deadline()
	r.readyDeadline = r.out.Deadline
	// Swap buffers: the accumulated Output is handed out; inputs from now
	// on fill the other one, which Advance emptied.
	r.out, r.ready = r.ready, r.out
	r.outEpoch++
	r.outstanding = true
	return &r.ready
}

// Advance tells the router that the owner has acted on the Output of the
// last Ready; its memory is reused from now on. Advance without an
// outstanding Output does nothing.
func (r *Router) Advance() {
	if !r.outstanding {
		return
	}
	r.outstanding = false
	recycle(&r.ready)
}

// deadline is the next time Tick is due: the heartbeat, or an earlier
// validation timeout.
func (r *Router) deadline() time.Time {
	d := r.nextHeartbeat
	if next := r.nextPending(); !next.IsZero() && next.Before(d) {
		d = next
	}
	return d
}

// begin starts an input: the heartbeat clock starts at the first input.
func (r *Router) begin(now time.Time) {
	r.inputSeq++
	if r.nextHeartbeat.IsZero() {
		r.nextHeartbeat = now.Add(r.p.HeartbeatInterval)
	}
}

// recycle empties an Output for reuse. Sends keep their RPCs' memory
// for rpcFor, but not what their entries held (rpc.RPC.Forget, at a cost
// in proportion to what they carried); the other lists are cleared. So an
// Output keeps no message alive: a message body the cache evicted is
// freed, not pinned by a Send of an earlier round.
//
// A list that grew in a burst (a round at window 0 forwards hundreds of
// messages to each peer) is let go when a round used less than a quarter
// of it and it holds more than keptEntries, and grows again on demand, so
// that a router quiet after a burst does not keep the burst's lists.
func recycle(o *Output) {
	for i := range o.Sends {
		m := &o.Sends[i].RPC
		oversized := outgrown(m.Publish)
		m.Forget()
		if oversized {
			m.Publish = nil
		}
	}
	// Past len: Sends of earlier rounds, forgotten then (so empty, and
	// outgrown by their capacity alone).
	tail := o.Sends[len(o.Sends):cap(o.Sends)]
	for i := range tail {
		if outgrown(tail[i].RPC.Publish) {
			tail[i].RPC.Publish = nil
		}
	}
	if outgrown(o.Deliveries) {
		o.Deliveries = nil
	}
	clear(o.Deliveries)
	clear(o.Validations)
	clear(o.Events)
	clear(o.Published)
	o.Sends = o.Sends[:0]
	o.Deliveries = o.Deliveries[:0]
	o.Validations = o.Validations[:0]
	o.Events = o.Events[:0]
	o.Published = o.Published[:0]
}

// keptEntries is the capacity an Output's list keeps whatever a round used
// of it (see recycle).
const keptEntries = 256

// outgrown reports whether recycle lets list go: it holds more than
// keptEntries and the round used less than a quarter of it.
func outgrown[T any](list []T) bool {
	return cap(list) > keptEntries && len(list) < cap(list)/4
}

// rpcFor returns the pending RPC to ps in the current Output, starting one
// (reusing the memory of an earlier Output's) when there is none.
func (r *Router) rpcFor(ps *peerState) *rpc.RPC {
	if ps.sendEpoch == r.outEpoch {
		return &r.out.Sends[ps.sendIdx].RPC
	}
	n := len(r.out.Sends)
	if n < cap(r.out.Sends) {
		// Empty already: recycle forgot it when its Output was advanced.
		r.out.Sends = r.out.Sends[:n+1]
	} else {
		r.out.Sends = append(r.out.Sends, Send{})
	}
	s := &r.out.Sends[n]
	s.To, s.Own = ps.id, false
	ps.sendEpoch, ps.sendIdx = r.outEpoch, n
	return &s.RPC
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

// appendIDontWant appends id to m's last IDONTWANT entry, starting one
// when empty, reusing slice memory.
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

// appendIWant appends ids to m's last IWANT entry, starting one when
// empty, reusing slice memory.
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
