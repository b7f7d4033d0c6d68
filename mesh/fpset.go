package mesh

// fpSet is a set of 64-bit fingerprints in one open-addressed table
// (linear probing, deletion by backward shift) of 8-byte slots, at most
// 3/4 full, so 11 to 21 bytes an id as it grows, where a Go map of uint64
// took about 35. It shrinks below 1/8 full, so a burst's memory is
// returned. Fingerprints are keyed hashes, so their low bits index the
// table directly. The zero value is an empty set.
type fpSet struct {
	slots []uint64 // 0: empty; fingerprint 0 is stored as 1
	n     int
}

// minFPSlots is the smallest table, and the size of the first one.
const minFPSlots = 64

func fpKey(f uint64) uint64 {
	if f == 0 {
		return 1
	}
	return f
}

// has reports whether f is in the set.
func (s *fpSet) has(f uint64) bool {
	if s.n == 0 {
		return false
	}
	f = fpKey(f)
	mask := uint64(len(s.slots) - 1)
	for i := f & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case f:
			return true
		case 0:
			return false
		}
	}
}

// add inserts f, which must be absent.
func (s *fpSet) add(f uint64) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.resize(max(minFPSlots, 2*len(s.slots)))
	}
	s.insert(fpKey(f))
	s.n++
}

func (s *fpSet) insert(f uint64) {
	mask := uint64(len(s.slots) - 1)
	i := f & mask
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = f
}

// remove deletes f when present, moving back the entries of its probe
// run that would otherwise be cut off from their home slot.
func (s *fpSet) remove(f uint64) {
	if s.n == 0 {
		return
	}
	f = fpKey(f)
	mask := uint64(len(s.slots) - 1)
	i := f & mask
	for s.slots[i] != f {
		if s.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		// The entry at j may move to the hole at i unless its home slot
		// lies cyclically in (i, j].
		if home := s.slots[j] & mask; (j-home)&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
	if len(s.slots) > minFPSlots && s.n*8 < len(s.slots) {
		s.resize(len(s.slots) / 2)
	}
}

// resize moves the set into a table of size slots (a power of two).
func (s *fpSet) resize(size int) {
	old := s.slots
	s.slots = make([]uint64, size)
	for _, f := range old {
		if f != 0 {
			s.insert(f)
		}
	}
}

// len returns the number of fingerprints held.
func (s *fpSet) len() int { return s.n }
