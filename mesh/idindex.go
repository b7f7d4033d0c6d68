package mesh

import "hash/maphash"

// idIndex maps the message cache's ids to their slab indexes. It is an
// open-addressed table (linear probing, deletion by backward shift, at
// most 3/4 full, shrinking below 1/8) of 8-byte slots, each an id's
// 32-bit hash above its slab index plus one (0: empty). A Go
// map[string]int32 took some 40 bytes an id, hashed and compared the id
// again on every delete, and never shrank; here a delete finds its slot by
// the hash and index the entry keeps, and a lookup compares an id only
// when its 32 hash bits match.
//
// The hash is keyed by a random seed (maphash), as a Go map's is, so that
// no peer can choose ids that collide; slots' order is never observed, so
// the cache stays deterministic.
type idIndex struct {
	seed  maphash.Seed
	slots []uint64
	n     int
}

// minIDSlots is the smallest table, and the size of the first one.
const minIDSlots = 64

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed()} }

// hash returns id's 32-bit hash.
func (x *idIndex) hash(id string) uint32 { return uint32(maphash.String(x.seed, id)) }

// find returns the slab index of id, whose hash is h, in slab; false when
// absent.
func (x *idIndex) find(slab []cacheEntry, id string, h uint32) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h {
			if idx := int32(uint32(s)) - 1; slab[idx].id == id {
				return idx, true
			}
		}
	}
}

// add maps hash h to slab index idx; its id must be absent.
func (x *idIndex) add(h uint32, idx int32) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.resize(max(minIDSlots, 2*len(x.slots)))
	}
	x.insert(uint64(h)<<32 | uint64(idx+1))
	x.n++
}

func (x *idIndex) insert(s uint64) {
	mask := uint32(len(x.slots) - 1)
	i := uint32(s>>32) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

// remove deletes the slot of slab index idx, whose id hashes to h, moving
// back the slots of its probe run that would otherwise be cut off from
// their home slot.
func (x *idIndex) remove(h uint32, idx int32) {
	want := uint64(h)<<32 | uint64(idx+1)
	mask := uint32(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != want {
		if x.slots[i] == 0 {
			panic("mesh: message cache: removing an id the index does not hold")
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		// The slot at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if home := uint32(x.slots[j]>>32) & mask; (j-home)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.n--
	if len(x.slots) > minIDSlots && x.n*8 < len(x.slots) {
		x.resize(len(x.slots) / 2)
	}
}

// resize moves the index into a table of size slots (a power of two).
func (x *idIndex) resize(size int) {
	old := x.slots
	x.slots = make([]uint64, size)
	for _, s := range old {
		if s != 0 {
			x.insert(s)
		}
	}
}
