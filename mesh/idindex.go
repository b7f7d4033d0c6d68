package mesh

import "hash/maphash"

// idIndex maps the message cache's ids to their slab indexes: a slotTable
// whose slots are an id's slab index plus one above its 32-bit hash. A Go
// map[string]int32 took some 40 bytes an id, hashed and compared the id
// again on every delete, and never shrank; here a delete finds its slot by
// the hash and index the entry keeps, and a lookup compares an id only
// when its 32 hash bits match.
//
// The hash is keyed by a random seed (maphash), as a Go map's is, so that
// no peer can choose ids that collide; slots' order is never observed, so
// the cache stays deterministic.
type idIndex struct {
	seed maphash.Seed
	slotTable
}

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed()} }

// hash returns id's 32-bit hash.
func (x *idIndex) hash(id string) uint32 { return uint32(maphash.String(x.seed, id)) }

// idSlot is the slot of slab index idx, whose id hashes to h.
func idSlot(h uint32, idx int32) uint64 { return uint64(idx+1)<<32 | uint64(h) }

// find returns the slab index of id, whose hash is h, in slab; false when
// absent.
func (x *idIndex) find(slab []cacheEntry, id string, h uint32) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := x.mask()
	for i := uint64(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s) == h {
			if idx := int32(s>>32) - 1; slab[idx].id == id {
				return idx, true
			}
		}
	}
}

// add maps hash h to slab index idx; its id must be absent.
func (x *idIndex) add(h uint32, idx int32) { x.slotTable.add(idSlot(h, idx)) }

// remove deletes the slot of slab index idx, whose id hashes to h.
func (x *idIndex) remove(h uint32, idx int32) {
	if !x.slotTable.remove(idSlot(h, idx)) {
		panic("mesh: message cache: removing an id the index does not hold")
	}
}
