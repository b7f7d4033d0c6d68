package membership

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// The merge rule (SWIM §4.2, memberlist's aliveNode/suspectNode/deadNode):
// a higher incarnation wins; at one incarnation left > dead > suspect >
// alive. A left member is never turned into a dead one. A suspicion about
// an alive member starts a timer; one about a suspect member from a new
// accuser confirms it (Lifeguard). In a push-pull state "dead" is read as
// "suspect": the local timer decides, so one node's mistake does not kill.

// apply merges u, received from sender (self for local decisions).
func (m *Membership) apply(now time.Time, sender peer.ID, u *update, pushPull bool) {
	if u.id == m.self.ID {
		m.applySelf(sender, u)
		return
	}
	accuser := u.from
	if accuser.IsZero() {
		accuser = sender
	}
	e := m.members[u.id]
	if e == nil {
		if u.state == StateAlive {
			// A joiner announces itself; the rest of a state is old news.
			m.addMember(now, u, !pushPull || u.id == sender || u.fresh)
		}
		return // suspicions and deaths of unknown members carry no address
	}
	st := u.state
	if pushPull && st == StateDead {
		st = StateSuspect
	}
	if e.State == StateLeft && st == StateDead {
		return
	}
	newer := u.inc > e.Incarnation || u.inc == e.Incarnation && st > e.State ||
		e.provisional && st == StateAlive && u.inc >= e.Incarnation
	if !newer {
		if st == StateSuspect && e.State == StateSuspect && u.inc == e.Incarnation &&
			e.susp != nil && accuser != u.id && e.susp.confirm(accuser) {
			m.broadcast(&update{state: StateSuspect, id: u.id, inc: u.inc, from: accuser})
		}
		return
	}
	switch st {
	case StateAlive:
		m.setAlive(now, e, u)
	case StateSuspect:
		if !e.State.up() {
			return // a suspicion does not revive a dead member
		}
		m.setSuspect(now, e, u.inc, accuser)
	case StateDead, StateLeft:
		m.setGone(now, e, st, u.inc, accuser)
	}
}

// addMember adds a new alive member.
func (m *Membership) addMember(now time.Time, u *update, gossip bool) {
	if len(m.members)+1 >= m.p.MaxMembers {
		m.stats.DropMaxMembers++
		return
	}
	e := &member{Member: Member{ID: u.id, Addr: u.addr, Zone: u.zone, Tags: u.tags, Incarnation: u.inc, State: StateAlive, Since: now}, upIdx: -1}
	m.members[u.id] = e
	m.setUp(e, true)
	m.insertOrder(e)
	m.emit(EventJoin, e)
	if gossip {
		m.broadcast(u)
	}
}

func (m *Membership) setAlive(now time.Time, e *member, u *update) {
	prev := e.State
	e.Addr, e.Zone, e.Tags, e.Incarnation, e.provisional = u.addr, u.zone, u.tags, u.inc, false
	m.broadcast(u)
	switch {
	case !prev.up():
		e.State, e.Since = StateAlive, now
		m.setUp(e, true)
		m.retained.Remove(e.ID)
		m.insertOrder(e)
		m.emit(EventJoin, e)
	case prev == StateSuspect:
		e.State, e.Since = StateAlive, now
		m.endSuspicion(e)
		m.emit(EventAlive, e)
	default: // a higher incarnation: metadata may have changed
		m.emit(EventUpdate, e)
	}
}

func (m *Membership) setSuspect(now time.Time, e *member, inc uint64, accuser peer.ID) {
	e.State, e.Incarnation, e.Since = StateSuspect, inc, now
	n := m.clusterSize()
	k := min(m.p.IndirectChecks, n-2)
	lo := m.p.SuspicionMin(n)
	e.susp = &suspicion{start: now, k: max(k, 0), min: lo, max: time.Duration(m.p.SuspicionMaxTimeoutMult) * lo}
	e.susp.confirm(accuser)
	if !slices.Contains(m.suspects, e.ID) {
		m.suspects = append(m.suspects, e.ID)
	}
	m.emit(EventSuspect, e)
	m.broadcast(&update{state: StateSuspect, id: e.ID, inc: inc, from: accuser})
}

func (m *Membership) setGone(now time.Time, e *member, st State, inc uint64, accuser peer.ID) {
	wasUp := e.State.up()
	e.State, e.Incarnation, e.Since = st, inc, now
	if wasUp {
		m.setUp(e, false)
	}
	m.endSuspicion(e)
	var from peer.ID
	if st == StateDead {
		from = accuser
		m.emit(EventDead, e)
	} else {
		m.stats.Leaves++
		m.emit(EventLeave, e)
	}
	m.broadcast(&update{state: st, id: e.ID, inc: inc, from: from})
	if m.p.DeadRetention == 0 {
		m.retained.Remove(e.ID)
		delete(m.members, e.ID)
		return
	}
	m.retained.Remove(e.ID)
	m.retained.Add(e.ID, now)
}

func (m *Membership) endSuspicion(e *member) {
	e.susp = nil
	m.suspects = slices.DeleteFunc(m.suspects, func(id peer.ID) bool { return id == e.ID })
}

// applySelf handles an update about this node: anything that is not alive
// at an incarnation at least ours is refuted (SWIM §4.2), and so is an
// alive one above ours (an older life of this ID). After Leave nothing is
// refuted.
func (m *Membership) applySelf(sender peer.ID, u *update) {
	if m.left {
		return
	}
	switch {
	case u.state == StateAlive && u.inc > m.self.Incarnation:
		m.refute(u.inc, sender, peer.ID{})
	case u.state != StateAlive && u.inc >= m.self.Incarnation:
		m.aw.apply(1) // Lifeguard: having to refute means we may be slow
		m.refute(u.inc, sender, u.from)
	case u.state != StateAlive && !sender.IsZero() && sender != m.self.ID:
		// The sender holds an old suspicion of us, already refuted: our
		// refutation missed it. Send it our current state directly.
		cur := updateOf(&m.self, peer.ID{}, true)
		m.sendMsg(sender, m.addrOf(sender), &message{kind: kindGossip}, &cur)
	}
}

// refute raises our incarnation above inc and announces us alive: queued
// for gossip, and sent at once to the sender and the accuser.
func (m *Membership) refute(inc uint64, sender, accuser peer.ID) {
	m.stats.Refutations++
	m.self.Incarnation = max(inc, m.self.Incarnation) + 1
	u := updateOf(&m.self, peer.ID{}, true)
	m.broadcast(&u)
	if !sender.IsZero() && sender != m.self.ID {
		m.sendMsg(sender, m.addrOf(sender), &message{kind: kindGossip}, &u)
	}
	if !accuser.IsZero() && accuser != m.self.ID && accuser != sender && m.addrOf(accuser) != "" {
		m.sendMsg(accuser, m.addrOf(accuser), &message{kind: kindGossip}, &u)
	}
}

// broadcast queues u for dissemination.
func (m *Membership) broadcast(u *update) {
	v := *u
	if v.state != StateAlive {
		v.hasMeta, v.addr, v.zone, v.tags = false, "", "", nil
	}
	if m.q.push(&v, m.p.MaxQueue) {
		m.stats.DropQueueFull++
	}
}
