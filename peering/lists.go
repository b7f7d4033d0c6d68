package peering

import "hash/maphash"

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

// slot numbers an entry of lists; 0 is none. Its high bits are the
// entry's chunk, its low chunkShift bits one more than its place there.
type slot int32

// A chunk holds chunkLen entries: 31 of 128 bytes fill a 4 KiB block with
// the 8-byte header the Go allocator puts before an object of more than
// 512 bytes that holds pointers (a chunk of 32 would take a block of 4.75
// KiB; TestChunkSize checks the fit). So a table never holds more than a
// chunk of free slots beyond its peak, and a slot's entry is found with a
// shift and a mask.
const (
	chunkShift = 5
	chunkMask  = 1<<chunkShift - 1 // the low bits of a slot
	chunkLen   = chunkMask         // low bits 0 are not a place: slot 0 is none
)

// list is one recency list, linked through entry.newer and entry.older.
type list struct {
	newest, oldest slot
	n              int
}

// lists holds the learnt entries of a table, each in one of numLists-1
// recency lists, with what simplelru.LRU offers (Add of a new key,
// move to front on Get, Peek, Remove, RemoveOldest, iteration oldest
// first) but without a heap object per entry: entries are held by value in
// chunks of chunkLen, linked by slot numbers, and found through an index
// of slot numbers by ID (index.go). A chunk never moves, so an *entry
// stays valid while other entries come and go, until its own entry is
// removed: its slot is then reused. Slot numbers never show in any order:
// lookups go through the index, iteration through the lists.
type lists struct {
	chunks []*[chunkLen]entry
	next   slot // the first slot never handed out (0 before the first chunk)
	free   slot // a free slot, the others chained by entry.older; 0: none
	n      int  // entries in the lists
	seed   maphash.Seed
	cells  []cell         // the index, a power of two long (or empty)
	l      [numLists]list // l[inNone] is unused
}

func newLists() lists { return lists{seed: maphash.MakeSeed()} }

// at returns the entry of slot s (not 0).
func (ls *lists) at(s slot) *entry {
	return &ls.chunks[s>>chunkShift][(s&chunkMask)-1]
}

// total returns the number of entries in all the lists.
func (ls *lists) total() int { return ls.n }

// oldest returns the least recently added or touched entry of l, or 0.
func (ls *lists) oldest(l listID) slot { return ls.l[l].oldest }

// add stores e, whose ID must not be in the lists, as the newest entry
// of l and returns its slot.
func (ls *lists) add(l listID, e entry) slot {
	s := ls.free
	if s != 0 {
		ls.free = ls.at(s).older
	} else {
		s = ls.next
		if s&chunkMask == 0 { // the next chunk's first place
			ls.chunks = append(ls.chunks, new([chunkLen]entry))
			s++
		}
		ls.next = s + 1
	}
	p := ls.at(s)
	*p = e
	ls.index(e.target.ID, s)
	ls.n++
	ls.link(s, p, l)
	return s
}

// remove takes the entry of slot s out of the lists and frees s; it
// returns the entry.
func (ls *lists) remove(s slot) entry {
	p := ls.at(s)
	ls.unlink(p)
	ls.unindex(p.target.ID, s)
	ls.n--
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
