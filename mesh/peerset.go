package mesh

import (
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// PeerSet is a set of peers kept as a sorted slice: iteration order is the
// peers' byte order, so it never depends on insertion history or map order.
// Membership is a binary search; insertion and removal move memory, which
// is cheap at mesh and topic sizes. The zero value is an empty set. Not safe
// for concurrent use.
type PeerSet struct {
	ps []peer.ID
}

func (s *PeerSet) find(p peer.ID) (int, bool) {
	return slices.BinarySearchFunc(s.ps, p, peer.ID.Compare)
}

// Add inserts p and reports whether it was absent.
func (s *PeerSet) Add(p peer.ID) bool {
	i, ok := s.find(p)
	if ok {
		return false
	}
	s.ps = slices.Insert(s.ps, i, p)
	return true
}

// Remove deletes p and reports whether it was present.
func (s *PeerSet) Remove(p peer.ID) bool {
	i, ok := s.find(p)
	if !ok {
		return false
	}
	s.ps = slices.Delete(s.ps, i, i+1)
	return true
}

// linearMax is the size up to which Has scans instead of searching: a
// mesh's few peers compare faster for equality, 32 bytes at a time, than
// ordered byte by byte.
const linearMax = 16

// Has reports whether p is in the set.
func (s *PeerSet) Has(p peer.ID) bool {
	if len(s.ps) <= linearMax {
		for i := range s.ps {
			if s.ps[i] == p {
				return true
			}
		}
		return false
	}
	_, ok := s.find(p)
	return ok
}

// Len returns the number of peers.
func (s *PeerSet) Len() int { return len(s.ps) }

// Slice returns the peers in sorted order. The slice is the set's own
// memory: read it only until the next Add or Remove.
func (s *PeerSet) Slice() []peer.ID { return s.ps }

// Clone returns a sorted copy of the peers (nil when empty).
func (s *PeerSet) Clone() []peer.ID {
	if len(s.ps) == 0 {
		return nil
	}
	return slices.Clone(s.ps)
}

// Clear empties the set, keeping its memory.
func (s *PeerSet) Clear() { s.ps = s.ps[:0] }
