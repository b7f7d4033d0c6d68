package membership

import (
	"errors"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// Tick runs what is due at now: probe phases and failures, ping-req nacks,
// suspicion timeouts, a new probe, a gossip round, push-pull, reconnect
// pings and the expiry of retained members. Call it at or after
// Output.Deadline.
//
// A Tick later than the last Deadline by more than ProbeInterval means
// this node stalled (a pause, an overloaded host): it may be suspected
// already, so it refutes at once with a higher incarnation instead of
// waiting to hear of the suspicion.
func (m *Membership) Tick(now time.Time) {
	gap := now.Sub(m.lastDeadline)
	stalled := m.started && !m.lastDeadline.IsZero() && gap > m.p.ProbeInterval
	m.begin(now)
	if stalled && !m.left {
		m.recoverStall(gap)
	}
	m.tickProbes(now)
	m.tickSuspicions(now)
	m.expireRetained(now)
	if !m.left && !now.Before(m.nextProbe) {
		m.startProbe(now)
		m.nextProbe = now.Add(m.aw.scale(m.p.ProbeInterval))
	}
	if len(m.q.items) > 0 && !now.Before(m.nextGossip) {
		m.gossip()
		m.nextGossip = now.Add(m.p.GossipInterval)
	}
	if !m.left && m.p.PushPullInterval > 0 {
		if !now.Before(m.nextPushPull) {
			if es := m.pickUp(1, peer.ID{}); len(es) == 1 {
				m.pushPull(es[0].ID, es[0].Addr, true)
			}
			m.nextPushPull = now.Add(m.pushPullInterval())
		}
		if !now.Before(m.nextReconnect) {
			m.reconnect()
			m.nextReconnect = now.Add(m.p.PushPullInterval)
		}
	}
}

// recoverStall handles a Tick gap long after the deadline: this node did
// not run, so it judges nobody for it. Probes and relays in flight are
// abandoned (no suspicion, no health change, no nack), suspicion timers
// are pushed back by the gap, and this node refutes at once, since others
// may suspect it.
func (m *Membership) recoverStall(gap time.Duration) {
	m.probes, m.relays = m.probes[:0], m.relays[:0]
	for _, id := range m.suspects {
		if e := m.members[id]; e != nil && e.susp != nil {
			e.susp.start = e.susp.start.Add(gap)
		}
	}
	m.refute(m.self.Incarnation, peer.ID{}, peer.ID{})
	m.stats.Refutations-- // counted as a stall, not a refutation
	m.stats.Stalls++
}

// tickSuspicions declares dead the suspects whose timeout passed.
func (m *Membership) tickSuspicions(now time.Time) {
	var due []peer.ID
	for _, id := range m.suspects {
		if e := m.members[id]; e != nil && e.susp != nil && !now.Before(e.susp.deadline()) {
			due = append(due, id)
		}
	}
	for _, id := range due {
		e := m.members[id]
		if s := e.susp; s.lastChance.IsZero() && len(s.accusers) < 2 && !m.left {
			// A lone accusation ran out (Lifeguard's confirmations never
			// came): before declaring death, ping the suspect once more
			// with its suspicion, so that a live member whose refutation
			// missed us refutes to us directly. Confirmed suspicions (a
			// crash: every prober accuses) do not wait.
			// Two pings, so that one lost packet does not decide.
			s.lastChance = now.Add(2 * m.aw.scale(m.p.ProbeTimeout))
			m.stats.LastChances++
			for range 2 {
				m.seq++
				m.sendMsg(id, e.Addr, &message{kind: kindPing, seq: m.seq, target: id}, m.stateFor(id))
			}
			continue
		}
		m.stats.DeathsDeclared++
		m.apply(now, m.self.ID, &update{state: StateDead, id: id, inc: e.Incarnation, from: m.self.ID}, false)
	}
}

// expireRetained forgets dead and left members after DeadRetention.
func (m *Membership) expireRetained(now time.Time) {
	for {
		id, since, ok := m.retained.GetOldest()
		if !ok || now.Before(since.Add(m.p.DeadRetention)) {
			return
		}
		m.retained.Remove(id)
	}
}

// gossip sends the queued updates to GossipNodes random up members.
func (m *Membership) gossip() {
	for _, e := range m.pickUp(m.p.GossipNodes, peer.ID{}) {
		if len(m.q.items) == 0 {
			return
		}
		m.stats.Gossips++
		m.sendMsg(e.ID, e.Addr, &message{kind: kindGossip}, nil)
	}
}

// pushPullInterval is PushPullInterval scaled for the cluster size:
// × ceil(N / PushPullScaleNodes), at least × 1.
func (m *Membership) pushPullInterval() time.Duration {
	n := m.clusterSize()
	mult := max(1, (n+m.p.PushPullScaleNodes-1)/m.p.PushPullScaleNodes)
	return m.p.PushPullInterval * time.Duration(mult)
}

// reconnect pings one random retained dead member (not left ones): if it
// answers, the ack starts a push-pull, which is how the two sides of a
// healed partition find each other.
func (m *Membership) reconnect() {
	var dead []peer.ID
	for _, id := range m.retained.Keys() {
		if e := m.members[id]; e != nil && e.State == StateDead {
			dead = append(dead, id)
		}
	}
	if len(dead) == 0 {
		return
	}
	id := dead[m.rnd.IntN(len(dead))]
	m.seq++
	m.sendMsg(id, m.addrOf(id), &message{kind: kindPing, seq: m.seq, target: id}, m.stateFor(id))
}

// pushPull sends our whole state to id; reply asks for its state back.
func (m *Membership) pushPull(id peer.ID, addr string, reply bool) {
	m.sendState(id, addr, &message{kind: kindPushPull, reply: reply})
}

// sendState sends hdr, a push-pull, with our whole state.
func (m *Membership) sendState(id peer.ID, addr string, hdr *message) {
	if hdr.reply {
		m.stats.PushPulls++
	}
	entries := make([]update, 0, len(m.members)+1)
	entries = append(entries, updateOf(&m.self, peer.ID{}, true))
	for _, e := range m.sortedMembers() {
		u := updateOf(&e.Member, peer.ID{}, true)
		u.fresh = m.q.has(e.ID)
		entries = append(entries, u)
	}
	// Keep within MaxStateBytes: self first, then by ID.
	budget := m.p.MaxStateBytes - 1 - uvarintLen(uint64(m.p.MaxStateBytes)) - 2 - uvarintLen(uint64(len(entries)))
	size := 0
	for i := range entries {
		size += len(appendUpdate(m.scratch[:0], &entries[i]))
		if size > budget {
			m.stats.DropStateTruncate++
			entries = entries[:i]
			break
		}
	}
	hdr.updates = entries
	m.send(id, addr, appendPushPull(nil, hdr))
}

// answerWho answers a member that asked who we are with our own entry.
func (m *Membership) answerWho(id peer.ID) {
	self := updateOf(&m.self, peer.ID{}, true)
	m.send(id, "", appendPushPull(nil, &message{kind: kindPushPull, updates: []update{self}}))
}

// answerJoin answers a joiner with a sample: this node and up to
// joinSample random up members (see pushpull.go).
func (m *Membership) answerJoin(id peer.ID, addr string) {
	entries := []update{updateOf(&m.self, peer.ID{}, true)}
	if e := m.members[id]; e != nil && e.State != StateAlive {
		// A member coming back (a restart) that we hold as dead, left or
		// suspect: its old state, so that it refutes at once.
		entries = append(entries, updateOf(&e.Member, peer.ID{}, true))
	}
	for _, e := range m.pickUp(joinSample, id) {
		entries = append(entries, updateOf(&e.Member, peer.ID{}, true))
	}
	m.send(id, addr, appendPushPull(nil, &message{kind: kindPushPull, partial: true, updates: entries}))
}

func (m *Membership) sortedMembers() []*member {
	out := make([]*member, 0, len(m.members))
	for _, id := range m.allIDs() {
		out = append(out, m.members[id])
	}
	return out
}

// Join starts a push-pull (join) exchange with the member id at addr, to
// which a session is up; an unknown id is added as alive, to be replaced by
// its own state when that arrives.
func (m *Membership) Join(now time.Time, id peer.ID, addr string) {
	m.begin(now)
	if id == m.self.ID || id.IsZero() || m.left {
		return
	}
	e := m.members[id]
	if e == nil {
		if len(addr) > MaxAddrLen {
			m.stats.DropTooLarge++
			return
		}
		m.addMember(now, &update{state: StateAlive, id: id, addr: addr, hasMeta: true}, false)
		if e = m.members[id]; e == nil {
			return
		}
		e.provisional = true
	}
	if addr == "" {
		addr = e.Addr
	}
	m.sendState(id, addr, &message{kind: kindPushPull, reply: true, join: true})
}

// Leave announces this node's graceful leave (StateLeft at a higher
// incarnation), sent at once to GossipNodes members and gossiped. After
// Leave the node no longer probes, gossips new news or refutes; it only
// answers pings and push-pulls, and finishes gossiping its leave.
func (m *Membership) Leave(now time.Time) {
	m.begin(now)
	if m.left {
		return
	}
	m.left = true
	m.self.Incarnation++
	m.self.State, m.self.Since = StateLeft, now
	m.q.reset()
	u := updateOf(&m.self, peer.ID{}, false)
	m.broadcast(&u)
	m.gossip()
	m.nextGossip = now.Add(m.p.GossipInterval)
	m.probes, m.relays = m.probes[:0], m.relays[:0]
}

// SetTags replaces this node's tags, raises its incarnation and gossips
// the new metadata. Over the limits it returns a *LimitError (ErrTooLarge)
// and changes nothing; after Leave, ErrLeft.
func (m *Membership) SetTags(now time.Time, tags map[string]string) error {
	m.begin(now)
	if m.left {
		return ErrLeft
	}
	if err := checkTags(tags, m.p.MaxTagBytes); err != nil {
		return err
	}
	m.self.Tags = cloneTags(tags)
	m.self.Incarnation++
	u := updateOf(&m.self, peer.ID{}, true)
	m.broadcast(&u)
	return nil
}

// HandlePayload handles a membership payload from the member from (an
// authenticated session). A payload that fails to decode is dropped and
// counted, and the error wraps ErrMalformed, or is a *LimitError
// (ErrTooLarge); nothing else changes.
func (m *Membership) HandlePayload(now time.Time, from peer.ID, payload []byte) error {
	m.begin(now)
	m.stats.MessagesReceived++
	m.stats.BytesReceived += uint64(len(payload))
	if from == m.self.ID {
		m.stats.DropFromSelf++
		return ErrFromSelf
	}
	if len(payload) > m.p.MaxStateBytes {
		m.stats.DropTooLarge++
		return limitErr("MaxStateBytes", m.p.MaxStateBytes, len(payload))
	}
	body, err := rpc.SplitMembership(payload)
	if err != nil {
		m.stats.DropMalformed++
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(body) > 0 && kind(body[0]) != kindPushPull && len(payload) > m.p.MaxPayload {
		m.stats.DropTooLarge++
		return limitErr("MaxPayload", m.p.MaxPayload, len(payload))
	}
	msg, err := decodeInto(body, m.lim, m.decBuf)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			m.stats.DropTooLarge++
		} else {
			m.stats.DropMalformed++
		}
		return err
	}
	m.handle(now, from, &msg)
	if msg.kind != kindPushPull && cap(msg.updates) > cap(m.decBuf) {
		m.decBuf = msg.updates[:0] // a piggyback section: small, reused
	}
	clear(msg.updates) // keep no strings or tags alive
	return nil
}

// handle dispatches a decoded message: piggybacked updates first.
func (m *Membership) handle(now time.Time, from peer.ID, msg *message) {
	if m.left {
		switch msg.kind {
		case kindPing:
			m.handlePing(from, msg)
		case kindPushPull:
			if msg.reply {
				m.answerJoin(from, m.addrOf(from)) // after Leave: who is left to ask
			}
		}
		return
	}
	pp := msg.kind == kindPushPull
	before := len(m.members)
	for i := range msg.updates {
		m.apply(now, from, &msg.updates[i], pp)
	}
	if e := m.members[from]; e == nil && from != m.self.ID && !now.Before(m.nextAsk) {
		// A member we do not know is talking to us: its alive missed us
		// (the rare straggler of an epidemic). Ask it who it is: a join
		// request with no state, answered with its own entry only. At
		// most one ask per ProbeInterval.
		m.nextAsk = now.Add(m.p.ProbeInterval)
		m.send(from, "", appendPushPull(nil, &message{kind: kindPushPull, reply: true, join: true}))
	}
	if pp && len(m.members) > before {
		// A state exchange showed members that did not know of this node
		// (a join, a healed partition): announce it by gossip too, so that
		// its alive spreads from both sides rather than from one relay.
		self := updateOf(&m.self, peer.ID{}, true)
		m.broadcast(&self)
		// Until our probes went round every member once.
		m.announceUntil = now.Add(max(m.p.PushPullInterval, time.Duration(m.clusterSize())*m.p.ProbeInterval))
	}
	switch msg.kind {
	case kindPing:
		m.handlePing(from, msg)
	case kindAck:
		m.handleAck(now, from, msg)
	case kindPingReq:
		m.handlePingReq(now, from, msg)
	case kindNack:
		m.handleNack(from, msg)
	case kindPushPull:
		switch {
		case msg.reply && msg.join && len(msg.updates) == 0:
			m.answerWho(from)
		case msg.reply && msg.join:
			m.answerJoin(from, m.addrOf(from))
		case msg.reply:
			m.pushPull(from, m.addrOf(from), false)
		case msg.partial:
			// A seed's sample: exchange whole states with one member of it
			// at random (not the seed), so that no seed serves them all.
			if es := m.pickUp(1, from); len(es) == 1 {
				m.pushPull(es[0].ID, es[0].Addr, true)
			}
		}
	}
}
