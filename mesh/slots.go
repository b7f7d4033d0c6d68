package mesh

// slotTable is an open-addressed table of non-zero 64-bit slots (0 marks
// an empty one) whose low bits are a hash that places them: linear probing
// from slot&mask, deletion by backward shift, at most 3/4 full, and
// shrinking below 1/8 full so that a burst's memory is returned. fpSet
// stores fingerprints in it; idIndex, hashes with a slab index above them.
// The zero value is an empty table.
type slotTable struct {
	slots []uint64
	n     int
}

// minSlots is the smallest table, and the size of the first one.
const minSlots = 64

// mask returns the index mask of the table, which must not be empty.
func (t *slotTable) mask() uint64 { return uint64(len(t.slots) - 1) }

// has reports whether s is in the table.
func (t *slotTable) has(s uint64) bool {
	if t.n == 0 {
		return false
	}
	mask := t.mask()
	for i := s & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case s:
			return true
		case 0:
			return false
		}
	}
}

// add inserts s, which must be non-zero and absent.
func (t *slotTable) add(s uint64) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(minSlots, 2*len(t.slots)))
	}
	t.insert(s)
	t.n++
}

func (t *slotTable) insert(s uint64) {
	mask := t.mask()
	i := s & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// remove deletes s and reports whether it was there, moving back the slots
// of its probe run that would otherwise be cut off from their home.
func (t *slotTable) remove(s uint64) bool {
	if t.n == 0 {
		return false
	}
	mask := t.mask()
	i := s & mask
	for t.slots[i] != s {
		if t.slots[i] == 0 {
			return false
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		// The slot at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if home := t.slots[j] & mask; (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	if len(t.slots) > minSlots && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
	return true
}

// resize moves the table into one of size slots (a power of two).
func (t *slotTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	for _, s := range old {
		if s != 0 {
			t.insert(s)
		}
	}
}
