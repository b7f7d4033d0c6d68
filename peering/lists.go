package peering

import (
	"unsafe"

	"github.com/gwyh/gwyh/peer"
)

// listID names the recency list a learnt entry is in.
type listID uint8

// The lists of the candidate table (see table).
const (
	inNone     listID = iota // a pinned entry, or a free slot
	inMembers                // SourceMember
	inExchange               // SourceExchange, address not verified
	inProven                 // SourceExchange, address verified by our own dial
	numLists
)

// slot numbers an entry of lists, from 1; 0 is none.
type slot int32

// chunkLen is the number of entries of a chunk: as many as fill 4 KiB, so
// that a chunk is one allocation of its size class, and a table never
// holds more than one chunk of free slots beyond its peak.
const chunkLen = 4096 / int(unsafe.Sizeof(entry{}))

// list is one recency list, linked through entry.newer and entry.older.
type list struct {
	newest, oldest slot
	n              int
}

// lists holds the learnt entries of a table, each in one of numLists-1
// recency lists, with what simplelru.LRU offers (Add of a new key,
// move to front on Get, Peek, Remove, RemoveOldest, iteration oldest
// first) but without a heap object per entry: entries are held by value in
// chunks of chunkLen, linked by slot numbers, and found through a map of
// slot numbers. A chunk never moves, so an *entry stays valid while other
// entries come and go, until its own entry is removed: its slot is then
// reused. Slot numbers never show in any order: lookups go through the
// map, iteration through the lists.
type lists struct {
	chunks []*[chunkLen]entry
	used   slot // slots handed out so far, free ones included
	free   slot // a free slot, the others chained by entry.older; 0: none
	ids    map[peer.ID]slot
	l      [numLists]list // l[inNone] is unused
}

func newLists() lists { return lists{ids: map[peer.ID]slot{}} }

// at returns the entry of slot s (≥ 1).
func (ls *lists) at(s slot) *entry {
	i := int(s - 1)
	return &ls.chunks[i/chunkLen][i%chunkLen]
}

// find returns the slot of id, or 0.
func (ls *lists) find(id peer.ID) slot { return ls.ids[id] }

// total returns the number of entries in all the lists.
func (ls *lists) total() int { return len(ls.ids) }

// len returns the number of entries of list l.
func (ls *lists) len(l listID) int { return ls.l[l].n }

// oldest returns the least recently added or touched entry of l, or 0.
func (ls *lists) oldest(l listID) slot { return ls.l[l].oldest }

// add stores e, whose ID must not be in the lists, as the newest entry
// of l and returns its slot.
func (ls *lists) add(l listID, e entry) slot {
	s := ls.free
	if s != 0 {
		ls.free = ls.at(s).older
	} else {
		if int(ls.used)%chunkLen == 0 {
			ls.chunks = append(ls.chunks, new([chunkLen]entry))
		}
		ls.used++
		s = ls.used
	}
	p := ls.at(s)
	*p = e
	ls.ids[e.target.ID] = s
	ls.link(s, p, l)
	return s
}

// remove takes the entry of slot s out of the lists and frees s; it
// returns the entry.
func (ls *lists) remove(s slot) entry {
	p := ls.at(s)
	ls.unlink(p)
	delete(ls.ids, p.target.ID)
	e := *p
	*p = entry{older: ls.free} // drop its strings for the collector
	ls.free = s
	e.newer, e.older = 0, 0
	return e
}

// touch makes slot s the newest entry of its list.
func (ls *lists) touch(s slot) {
	p := ls.at(s)
	if l := p.list; ls.l[l].newest != s {
		ls.unlink(p)
		ls.link(s, p, l)
	}
}

// relist moves slot s to list l, as its newest entry.
func (ls *lists) relist(s slot, l listID) {
	p := ls.at(s)
	ls.unlink(p)
	ls.link(s, p, l)
}

// appendList appends the entries of l to buf, oldest first.
func (ls *lists) appendList(buf []*entry, l listID) []*entry {
	for s := ls.l[l].oldest; s != 0; {
		p := ls.at(s)
		buf = append(buf, p)
		s = p.newer
	}
	return buf
}

// link makes s, at p, the newest entry of l.
func (ls *lists) link(s slot, p *entry, l listID) {
	h := &ls.l[l]
	p.list, p.newer, p.older = l, 0, h.newest
	if h.newest != 0 {
		ls.at(h.newest).newer = s
	} else {
		h.oldest = s
	}
	h.newest = s
	h.n++
}

// unlink takes p out of its list.
func (ls *lists) unlink(p *entry) {
	h := &ls.l[p.list]
	if p.newer != 0 {
		ls.at(p.newer).older = p.older
	} else {
		h.newest = p.older
	}
	if p.older != 0 {
		ls.at(p.older).newer = p.newer
	} else {
		h.oldest = p.newer
	}
	p.list, p.newer, p.older = inNone, 0, 0
	h.n--
}
