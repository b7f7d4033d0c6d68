package membership

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Failure detection (SWIM §3.1, Lifeguard §IV-A): one member per protocol
// period, in randomized round-robin order (SWIM §4.3), is pinged; without
// an ack within ProbeTimeout, IndirectChecks helpers are asked to ping it
// (ping-req) and to nack if it does not answer them; without any ack by
// the probe's end it is suspected.

// probe is one of our probes in flight.
type probe struct {
	seq      uint64
	target   peer.ID
	directAt time.Time // end of the direct phase
	end      time.Time // the probe fails at end
	indirect bool      // ping-reqs went out
	helpers  []peer.ID
	nacks    int
}

// relay is a ping-req served as a helper.
type relay struct {
	seq       uint64 // of our ping to target
	reqSeq    uint64 // the requester's seq, echoed in ack or nack
	requester peer.ID
	target    peer.ID
	nackAt    time.Time
	end       time.Time
	done      bool // ack relayed or nack sent
}

// nextTarget advances the round-robin probe order; false when there is
// nobody to probe.
func (m *Membership) nextTarget() (peer.ID, bool) {
	for range len(m.order) + 1 {
		if m.orderPos >= len(m.order) {
			m.order = append(m.order[:0], m.up...)
			m.rnd.Shuffle(len(m.order), func(i, j int) { m.order[i], m.order[j] = m.order[j], m.order[i] })
			m.orderPos = 0
			if len(m.order) == 0 {
				return peer.ID{}, false
			}
		}
		id := m.order[m.orderPos].ID
		m.orderPos++
		// By ID: the record in the order may be an old one of a member
		// that died and came back.
		if e := m.members[id]; e != nil && e.State.up() && m.probeOf(id) == nil {
			return id, true
		}
	}
	return peer.ID{}, false
}

// insertOrder puts a new member at a random place among the members not
// yet probed in this round, in O(1) (the member there moves to the end).
func (m *Membership) insertOrder(e *member) {
	m.order = append(m.order, e)
	if rest := len(m.order) - m.orderPos; rest > 1 {
		i := m.orderPos + m.rnd.IntN(rest)
		last := len(m.order) - 1
		m.order[i], m.order[last] = m.order[last], m.order[i]
	}
}

func (m *Membership) probeOf(target peer.ID) *probe {
	for _, p := range m.probes {
		if p.target == target {
			return p
		}
	}
	return nil
}

// startProbe pings the next member of the probe order.
func (m *Membership) startProbe(now time.Time) {
	id, ok := m.nextTarget()
	if !ok {
		return
	}
	e := m.members[id]
	m.seq++
	p := &probe{
		seq:      m.seq,
		target:   id,
		directAt: now.Add(m.aw.scale(m.p.ProbeTimeout)),
		end:      now.Add(m.aw.scale(max(m.p.ProbeInterval, 3*m.p.ProbeTimeout))),
	}
	m.probes = append(m.probes, p)
	m.stats.ProbesSent++
	first := m.stateFor(id)
	if first == nil && now.Before(m.announceUntil) {
		// Newly joined (or back from a partition): members that joined
		// at the same time may have missed our alive gossip, and our probes
		// walk every member, so each learns of us by the time we probe it.
		self := updateOf(&m.self, peer.ID{}, true)
		first = &self
	}
	m.sendMsg(id, e.Addr, &message{kind: kindPing, seq: p.seq, target: id}, first)
}

// stateFor returns the update to put first in a message to id: its own
// state when we hold it suspect or dead, so that it can refute at once.
func (m *Membership) stateFor(id peer.ID) *update {
	e := m.members[id]
	if e == nil || e.State == StateAlive || e.State == StateLeft {
		return nil
	}
	u := updateOf(&e.Member, m.self.ID, false)
	return &u
}

// goIndirect sends ping-reqs for p to IndirectChecks random up members.
func (m *Membership) goIndirect(p *probe) {
	p.indirect = true
	for _, e := range m.pickUp(m.p.IndirectChecks, p.target) {
		p.helpers = append(p.helpers, e.ID)
	}
	addr := m.addrOf(p.target)
	for _, h := range p.helpers {
		m.stats.PingReqsSent++
		m.sendMsg(h, m.addrOf(h), &message{kind: kindPingReq, seq: p.seq, target: p.target, addr: addr}, nil)
	}
}

// tickProbes advances our probes and our relays.
func (m *Membership) tickProbes(now time.Time) {
	for _, p := range m.probes {
		if !p.indirect && !now.Before(p.directAt) {
			m.goIndirect(p)
		}
	}
	m.probes = slices.DeleteFunc(m.probes, func(p *probe) bool {
		if now.Before(p.end) {
			return false
		}
		m.failProbe(now, p)
		return true
	})
	for _, r := range m.relays {
		if !r.done && !now.Before(r.nackAt) {
			m.nack(r)
		}
	}
	m.relays = slices.DeleteFunc(m.relays, func(r *relay) bool { return !now.Before(r.end) })
}

// failProbe ends p without an ack: Lifeguard raises the health score by
// one per missed nack, or by one when there were no helpers, and the
// target is suspected.
func (m *Membership) failProbe(now time.Time, p *probe) {
	m.stats.ProbesFailed++
	if len(p.helpers) > 0 {
		m.aw.apply(len(p.helpers) - p.nacks)
	} else {
		m.aw.apply(1)
	}
	e := m.members[p.target]
	if e == nil || !e.State.up() || m.left {
		return
	}
	m.stats.Suspicions++
	m.apply(now, m.self.ID, &update{state: StateSuspect, id: p.target, inc: e.Incarnation, from: m.self.ID}, false)
}

func (m *Membership) nack(r *relay) {
	r.done = true
	m.stats.NacksSent++
	m.sendMsg(r.requester, m.addrOf(r.requester), &message{kind: kindNack, seq: r.reqSeq}, nil)
}

// Unreachable tells that the node could not open a session to id to
// deliver a send: a probe of id in its direct phase goes indirect at once,
// and a ping-req we serve for id is nacked at once.
func (m *Membership) Unreachable(now time.Time, id peer.ID) {
	m.begin(now)
	for _, p := range m.probes {
		if p.target == id && !p.indirect {
			m.goIndirect(p)
		}
	}
	for _, r := range m.relays {
		if r.target == id && !r.done {
			m.nack(r)
		}
	}
}

// handlePing answers with an ack echoing seq, led by the sender's own state
// when we hold it suspect or dead.
func (m *Membership) handlePing(from peer.ID, msg *message) {
	if msg.target != m.self.ID {
		m.stats.DropNotTarget++
		return
	}
	m.sendMsg(from, m.addrOf(from), &message{kind: kindAck, seq: msg.seq}, m.ackState(from))
}

// ackState is stateFor, or our own left state after Leave.
func (m *Membership) ackState(to peer.ID) *update {
	if m.left {
		u := updateOf(&m.self, peer.ID{}, false)
		return &u
	}
	return m.stateFor(to)
}

// handleAck ends our probe with seq, or relays an ack for a ping-req.
func (m *Membership) handleAck(now time.Time, from peer.ID, msg *message) {
	for i, p := range m.probes {
		if p.seq == msg.seq && (from == p.target || slices.Contains(p.helpers, from)) {
			m.stats.Acks++
			m.aw.apply(-1)
			m.probes = slices.Delete(m.probes, i, i+1)
			return
		}
	}
	for _, r := range m.relays {
		if r.seq == msg.seq && from == r.target {
			if !r.done {
				r.done = true
				m.sendMsg(r.requester, m.addrOf(r.requester), &message{kind: kindAck, seq: r.reqSeq}, nil)
			}
			return
		}
	}
	// An ack from a member we hold dead (a reconnect ping answered): it is
	// reachable again, so exchange states with it.
	if e := m.members[from]; e != nil && e.State == StateDead && !m.left {
		m.pushPull(from, e.Addr, true)
	}
}

// handlePingReq pings the target on the requester's behalf.
func (m *Membership) handlePingReq(now time.Time, from peer.ID, msg *message) {
	m.stats.PingReqsReceived++
	if len(m.relays) >= maxRelays || msg.target == m.self.ID || m.left {
		m.stats.DropRelays++
		return
	}
	m.seq++
	r := &relay{
		seq: m.seq, reqSeq: msg.seq, requester: from, target: msg.target,
		nackAt: now.Add(m.p.ProbeTimeout),
		end:    now.Add(3 * m.p.ProbeTimeout),
	}
	m.relays = append(m.relays, r)
	addr := m.addrOf(msg.target)
	if addr == "" {
		addr = msg.addr
	}
	m.sendMsg(msg.target, addr, &message{kind: kindPing, seq: r.seq, target: msg.target}, m.stateFor(msg.target))
}

// handleNack counts a helper's nack for our probe.
func (m *Membership) handleNack(from peer.ID, msg *message) {
	for _, p := range m.probes {
		if p.seq == msg.seq && slices.Contains(p.helpers, from) {
			m.stats.NacksReceived++
			p.nacks++
			return
		}
	}
}
