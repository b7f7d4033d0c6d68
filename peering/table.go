package peering

import (
	"math"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// entry is one dial candidate and its dial history. A learnt entry lives
// in lists, which owns its links; fields are ordered so that it packs
// into 128 bytes.
type entry struct {
	target    Target
	nextTry   time.Time // not dialled before
	lastDial  time.Time // when the last dial started
	newer     slot      // lists: the next newer entry of its list, or 0
	older     slot      // lists: the next older entry of its list (or free slot), or 0
	list      listID    // lists: the list it is in
	src       Source
	failures  uint8 // consecutive failed dials (and unstable sessions), up to maxFailures
	answered  bool  // a session with it came up once (seeds stop being special)
	verified  bool  // our own dial of target.Addr came up as target.ID (see table.verify)
	forgotten bool  // a seed the membership reported dead: dialled only when desperate
}

// maxFailures is where entry.failures stops counting. backoffDelay gives
// the same delay for every n ≥ 128 (its doubling reaches the cap, or
// overflows to zero, within 127 steps), so the cap changes nothing.
const maxFailures = math.MaxUint8

// table is the candidate table. Seeds and direct peers (pinned) come from
// configuration, are bounded by it, and are never evicted. Learnt
// candidates live in three LRU lists whose total is bounded by max:
// members, exchange (second-hand records nobody verified: peer exchange,
// LAN beacons, inbound sessions) and proven (exchange records whose
// address our own dial verified). Making room evicts the least recently
// offered unverified exchange entry first; then, for a verified or member
// newcomer, the oldest proven entry; then, for a member only, the oldest
// member. An unverified exchange offer never evicts a proven entry or a
// member (it is dropped instead), so that a flood of records (forged PX,
// beacons from many IDs) cannot push out the candidates that answered.
//
// A learnt *entry is valid until its entry leaves the lists (evicted,
// forgotten, pinned): its slot is then reused.
type table struct {
	max      int
	pinned   []*entry // seeds and direct peers, in the order added
	pinnedID map[peer.ID]*entry
	lists    lists // members, exchange and proven; an ID is in one at most, and not pinned
	evicted  uint64
	dropped  uint64
}

func newTable(max int) *table {
	return &table{max: max, pinnedID: map[peer.ID]*entry{}, lists: newLists()}
}

// learnt returns the number of learnt candidates.
func (t *table) learnt() int { return t.lists.total() }

// byID returns the entry for id, or nil.
func (t *table) byID(id peer.ID) *entry {
	if e := t.pinnedID[id]; e != nil {
		return e
	}
	if s := t.lists.find(id); s != 0 {
		return t.lists.at(s)
	}
	return nil
}

// byAddr returns the pinned entry of unknown ID given as addr, or nil.
func (t *table) byAddr(addr string) *entry {
	for _, e := range t.pinned {
		if e.target.ID.IsZero() && e.target.Addr == addr && addr != "" {
			return e
		}
	}
	return nil
}

// removeLearnt drops id from the learnt lists and returns its entry, if
// it was there.
func (t *table) removeLearnt(id peer.ID) (entry, bool) {
	s := t.lists.find(id)
	if s == 0 {
		return entry{}, false
	}
	return t.lists.remove(s), true
}

// pin adds or upgrades a seed or direct entry. A learnt entry of the same
// ID moves to the pinned set, keeping its dial history.
func (t *table) pin(tg Target, src Source) {
	e := t.byAddr(tg.Addr)
	if !tg.ID.IsZero() {
		e = t.pinnedID[tg.ID]
	}
	if e != nil {
		e.setZone(tg.Zone, src)
		e.src = max(e.src, src)
		e.forgotten = false
		return
	}
	e = &entry{target: tg, src: src}
	if !tg.ID.IsZero() {
		if old, ok := t.removeLearnt(tg.ID); ok {
			e.failures, e.nextTry, e.lastDial = old.failures, old.nextTry, old.lastDial
			e.setZone(old.target.Zone, SourceExchange) // only if tg has none
		}
		t.pinnedID[tg.ID] = e
	}
	t.pinned = append(t.pinned, e)
}

// name records the ID learnt for the pinned entry e, given as a bare
// address, merging any other entry of that ID into it.
func (t *table) name(e *entry, id peer.ID) {
	if other := t.pinnedID[id]; other != nil && other != e {
		// The same peer configured twice, bare and with its ID.
		other.src = max(other.src, e.src)
		other.answered = other.answered || e.answered
		other.setZone(e.target.Zone, SourceExchange) // only if other has none
		t.pinned = slices.DeleteFunc(t.pinned, func(x *entry) bool { return x == e })
		return
	}
	if old, ok := t.removeLearnt(id); ok {
		e.setZone(old.target.Zone, SourceExchange) // only if e has none
	}
	e.target.ID = id
	t.pinnedID[id] = e
}

// offer adds a learnt candidate or refreshes it. verified says that tg
// comes from our own dial (see verify), so that it may make room by
// evicting a proven entry. It reports whether tg is (now) in the table.
func (t *table) offer(now time.Time, tg Target, src Source, verified bool) bool {
	if e := t.pinnedID[tg.ID]; e != nil {
		e.setZone(tg.Zone, src)
		// Configured addresses are kept: the operator wrote them.
		if src == SourceMember {
			e.forgotten = false
		}
		return true
	}
	if s := t.lists.find(tg.ID); s != 0 {
		t.refresh(s, tg, src)
		return true
	}
	if !t.makeRoom(src, verified) {
		t.dropped++
		return false
	}
	l := inExchange
	if src == SourceMember {
		l = inMembers
	}
	t.lists.add(l, entry{target: tg, src: src, nextTry: now})
	return true
}

// refresh is offer of tg, from src, for the learnt entry in slot s.
func (t *table) refresh(s slot, tg Target, src Source) {
	e := t.lists.at(s)
	e.setZone(tg.Zone, src)
	switch e.list {
	case inMembers:
		if src == SourceMember {
			// Only the membership view moves a member's address and
			// recency; a second-hand record does not.
			t.move(e, tg.Addr)
			t.lists.touch(s)
		}
	case inProven:
		// A second-hand record does not move an address our own dial
		// proved; the membership view does.
		if src == SourceMember {
			t.move(e, tg.Addr)
			e.src = SourceMember
			t.lists.relist(s, inMembers)
		} else {
			t.lists.touch(s)
		}
	case inExchange:
		e.target.Addr = tg.Addr
		if src == SourceMember {
			e.src = SourceMember
			t.lists.relist(s, inMembers)
		} else {
			t.lists.touch(s)
		}
	}
}

// setZone records zone, offered by src, as e's zone. An empty zone never
// erases a known one, and a second-hand record (SourceExchange) never
// changes the known zone of a member or a configured peer: only the
// membership view and the configuration speak for those.
func (e *entry) setZone(zone string, src Source) {
	if zone == "" || (src == SourceExchange && e.src != SourceExchange && e.target.Zone != "") {
		return
	}
	e.target.Zone = zone
}

// move sets e's address; a new address is no longer verified.
func (t *table) move(e *entry, addr string) {
	if e.target.Addr != addr {
		e.target.Addr, e.verified = addr, false
	}
}

// verify records that our own dial of addr came up as e's ID. An exchange
// record takes addr (the dial proved it) and becomes proven; a member's or
// configured entry's address is kept, and verified only if it is addr.
func (t *table) verify(e *entry, addr string) {
	if s := t.lists.find(e.target.ID); s != 0 && e.list == inExchange && addr != "" {
		e.target.Addr, e.verified = addr, true
		t.lists.relist(s, inProven)
		return
	}
	if e.target.Addr == addr {
		e.verified = true
	}
}

// unverify records that a dial of e's address failed: the address is no
// longer proven, and a proven exchange record is an unverified one again.
func (t *table) unverify(e *entry) {
	e.verified = false
	if s := t.lists.find(e.target.ID); s != 0 && e.list == inProven {
		t.lists.relist(s, inExchange)
	}
}

// makeRoom evicts, if the table is full, one entry to make room for a new
// one from src (verified: from our own dial), in the order of the table's
// doc. It reports whether there is room.
func (t *table) makeRoom(src Source, verified bool) bool {
	if t.learnt() < t.max {
		return true
	}
	victims := [...]listID{inExchange, inProven, inMembers}
	n := 1
	if verified || src == SourceMember {
		n = 2
	}
	if src == SourceMember {
		n = 3
	}
	for _, l := range victims[:n] {
		if s := t.lists.oldest(l); s != 0 {
			t.lists.remove(s)
			t.evicted++
			return true
		}
	}
	return false
}

// forget removes a learnt candidate; a seed is only marked forgotten, a
// direct peer stays as it is.
func (t *table) forget(id peer.ID) {
	if e := t.pinnedID[id]; e != nil {
		if e.src == SourceSeed {
			e.forgotten = true
		}
		return
	}
	t.removeLearnt(id)
}

// all returns every entry: pinned first in the order added, then members,
// proven and exchange entries, each list oldest first. The order depends only on
// the inputs.
func (t *table) all(buf []*entry) []*entry {
	buf = append(buf, t.pinned...)
	buf = t.lists.appendList(buf, inMembers)
	buf = t.lists.appendList(buf, inProven)
	return t.lists.appendList(buf, inExchange)
}
