package membership

import (
	"encoding/binary"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// HasReady reports whether Ready has something new: Sends or Events not
// yet handed out, or a Deadline that an input since the last Ready may
// have moved. An owner loops "for m.HasReady() { out := m.Ready(); ...;
// m.Advance() }" after its inputs and re-arms its timer from each Output,
// as with the router and the peer manager.
func (m *Membership) HasReady() bool {
	return !m.handed && (len(m.out.Sends) > 0 || len(m.out.Events) > 0 || m.changed)
}

// Ready returns the work produced since the previous Advance, and the
// Deadline at which Tick is due (before the first input: the Unix epoch,
// that is, at once). The Output is the Membership's own memory, valid and
// read-only until Advance.
func (m *Membership) Ready() *Output {
	m.handed, m.changed = true, false
	if m.started {
		m.out.Deadline = m.deadline()
	}
	m.lastDeadline = m.out.Deadline
	if m.lastDeadline.Before(m.now) {
		m.lastDeadline = m.now // a deadline already past is due at once
	}
	return &m.out
}

// Advance tells the Membership that the caller acted on the last Ready;
// the Output's memory is reused by later inputs.
func (m *Membership) Advance() {
	m.handed = false
	clear(m.out.Sends)
	clear(m.out.Events)
	m.out.Sends = m.out.Sends[:0]
	m.out.Events = m.out.Events[:0]
	if cap(m.out.Events) > maxKeptEvents {
		// A state exchange that taught us many members at once: do not
		// keep room for as many events (a simulator runs thousands of
		// Memberships).
		m.out.Events = nil
	}
}

// maxKeptEvents bounds the Output.Events capacity kept across Advance.
const maxKeptEvents = 64

// deadline is the earliest time at which Tick has work to do.
func (m *Membership) deadline() time.Time {
	var d time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if !m.left {
		at(m.nextProbe)
		at(m.nextPushPull)
		if m.retained.Len() > 0 {
			at(m.nextReconnect)
		}
	}
	if len(m.q.items) > 0 {
		at(m.nextGossip)
	}
	for _, p := range m.probes {
		if !p.indirect {
			at(p.directAt)
		}
		at(p.end)
	}
	for _, r := range m.relays {
		if !r.done {
			at(r.nackAt)
		}
		at(r.end)
	}
	for _, id := range m.suspects {
		if e := m.members[id]; e != nil && e.susp != nil {
			at(e.susp.deadline())
		}
	}
	if _, since, ok := m.retained.GetOldest(); ok {
		at(since.Add(m.p.DeadRetention))
	}
	if d.IsZero() {
		d = m.now.Add(m.p.ProbeInterval)
	}
	return d
}

// emit appends an event about e.
func (m *Membership) emit(k EventKind, e *member) {
	m.out.Events = append(m.out.Events, Event{Kind: k, Member: e.Member})
}

// bodyMax is the largest body that fits in MaxPayload once framed.
func (m *Membership) bodyMax() int {
	return m.p.MaxPayload - 1 - uvarintLen(uint64(m.p.MaxPayload))
}

// send frames body as a payload to id at addr.
func (m *Membership) send(to peer.ID, addr string, body []byte) {
	payload := rpc.AppendMembership(make([]byte, 0, rpc.MembershipSize(len(body))), body)
	m.out.Sends = append(m.out.Sends, Send{To: to, Addr: addr, Payload: payload})
	m.stats.MessagesSent++
	m.stats.BytesSent += uint64(len(payload))
}

// sendMsg sends hdr (a message kind other than push-pull) to id with
// first, when not nil, as its first update and then as many queued updates
// as fit in MaxPayload.
func (m *Membership) sendMsg(to peer.ID, addr string, hdr *message, first *update) {
	// The updates go to m.ups and the body to m.scratch, both reused:
	// the payload is the only allocation of a send.
	head := appendHeader(m.scratch[:0], hdr)
	budget := m.bodyMax() - len(head) - uvarintLen(uint64(m.bodyMax()))
	ups := m.ups[:0]
	n := 0
	skip := peer.ID{}
	if first != nil {
		ups = appendUpdate(ups, first)
		n++
		skip = first.id
	}
	var packed int
	ups, packed = m.q.pack(ups, budget-len(ups), retransmitLimit(m.p.RetransmitMult, m.clusterSize()), skip)
	n += packed
	body := binary.AppendUvarint(head, uint64(n))
	body = append(body, ups...)
	m.scratch, m.ups = body[:0], ups[:0]
	m.send(to, addr, body)
}
