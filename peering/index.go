package peering

import (
	"hash/maphash"

	"github.com/gwyh/gwyh/peer"
)

// cell is one place of the ID index: a slot of lists, 0 when empty, and
// its ID's hash.
type cell struct {
	s    slot
	hash uint32
}

// minCells is the size of a new index: 64 bytes.
const minCells = 8

// The ID index of lists finds an entry's slot by its ID: open addressing
// with linear probing over a power-of-two array of cells, at most three
// quarters full, which holds no ID of its own (it compares the entries'):
// 8 bytes a cell, 16 KiB for 1,000 entries, where a map[peer.ID]slot
// took some 80 KiB. IDs are ed25519 public keys that anyone can grind, so
// the hash is keyed by a seed of each lists (maphash, random as a Go map's
// seed): it places cells but decides nothing, since the index is never
// iterated.

// hashID returns id's hash under ls's seed.
func (ls *lists) hashID(id peer.ID) uint32 {
	return uint32(maphash.Bytes(ls.seed, id[:]))
}

// find returns the slot of id, or 0.
func (ls *lists) find(id peer.ID) slot {
	if len(ls.cells) == 0 {
		return 0
	}
	h := ls.hashID(id)
	mask := uint32(len(ls.cells) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		c := ls.cells[i]
		if c.s == 0 {
			return 0
		}
		if c.hash == h && ls.at(c.s).target.ID == id {
			return c.s
		}
	}
}

// index records that id, not in the index, is at slot s.
func (ls *lists) index(id peer.ID, s slot) {
	if 4*(ls.n+1) > 3*len(ls.cells) {
		ls.growIndex()
	}
	ls.place(cell{s: s, hash: ls.hashID(id)})
}

// place puts c in the first empty cell from its hash on.
func (ls *lists) place(c cell) {
	mask := uint32(len(ls.cells) - 1)
	i := c.hash & mask
	for ls.cells[i].s != 0 {
		i = (i + 1) & mask
	}
	ls.cells[i] = c
}

// growIndex doubles the index (or makes its first cells).
func (ls *lists) growIndex() {
	old := ls.cells
	ls.cells = make([]cell, max(2*len(old), minCells))
	for _, c := range old {
		if c.s != 0 {
			ls.place(c)
		}
	}
}

// unindex removes id, at slot s, from the index. The cells after it that
// could not take their hash's place move back (Knuth's Algorithm R), so
// that no probe sequence is broken and no tombstone is needed.
func (ls *lists) unindex(id peer.ID, s slot) {
	mask := uint32(len(ls.cells) - 1)
	i := ls.hashID(id) & mask
	for ls.cells[i].s != s {
		i = (i + 1) & mask
	}
	for j := i; ; {
		ls.cells[i] = cell{}
		for {
			j = (j + 1) & mask
			c := ls.cells[j]
			if c.s == 0 {
				return
			}
			// c stays if its home is cyclically in (i, j].
			if home := c.hash & mask; (j-home)&mask >= (j-i)&mask {
				ls.cells[i] = c
				i = j
				break
			}
		}
	}
}
