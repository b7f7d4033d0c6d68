package mesh

// fpSet is a set of 64-bit fingerprints in a slotTable of 8-byte slots, so
// 11 to 21 bytes an id as it grows, where a Go map of uint64 took about 35.
// Fingerprints are keyed hashes, so their low bits place them directly.
// The zero value is an empty set.
type fpSet struct{ slotTable }

// minFPSlots is the smallest table, and the size of the first one.
const minFPSlots = minSlots

// fpKey is f as stored: fingerprint 0 is stored as 1 (0 marks an empty
// slot).
func fpKey(f uint64) uint64 {
	if f == 0 {
		return 1
	}
	return f
}

// has reports whether f is in the set.
func (s *fpSet) has(f uint64) bool { return s.slotTable.has(fpKey(f)) }

// add inserts f, which must be absent.
func (s *fpSet) add(f uint64) { s.slotTable.add(fpKey(f)) }

// remove deletes f when present.
func (s *fpSet) remove(f uint64) { s.slotTable.remove(fpKey(f)) }

// len returns the number of fingerprints held.
func (s *fpSet) len() int { return s.n }
