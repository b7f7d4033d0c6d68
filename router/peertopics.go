package router

import "slices"

// peerTopicsFew is how many topics a peer's set holds in a sorted slice
// before it moves them to a map.
const peerTopicsFew = 8

// peerTopics is the set of topics one peer announced. Most peers announce
// one or a few topics: those live in a small sorted slice (a map per peer
// was a few hundred bytes each, a large part of a big simulation's
// memory); past peerTopicsFew the set moves to a map, so that a peer
// announcing up to MaxPeerTopics costs O(1) per change. The zero value is
// an empty set.
type peerTopics struct {
	few  []string // sorted; nil once many is in use
	many map[string]struct{}
}

// has reports whether t is in the set.
func (s *peerTopics) has(t string) bool {
	if s.many != nil {
		_, ok := s.many[t]
		return ok
	}
	_, ok := slices.BinarySearch(s.few, t)
	return ok
}

// len returns the number of topics in the set.
func (s *peerTopics) len() int {
	if s.many != nil {
		return len(s.many)
	}
	return len(s.few)
}

// add puts t in the set.
func (s *peerTopics) add(t string) {
	if s.many != nil {
		s.many[t] = struct{}{}
		return
	}
	i, ok := slices.BinarySearch(s.few, t)
	if ok {
		return
	}
	if len(s.few) < peerTopicsFew {
		s.few = slices.Insert(s.few, i, t)
		return
	}
	s.many = make(map[string]struct{}, 2*peerTopicsFew)
	for _, u := range s.few {
		s.many[u] = struct{}{}
	}
	s.many[t] = struct{}{}
	s.few = nil
}

// remove takes t out of the set.
func (s *peerTopics) remove(t string) {
	if s.many != nil {
		delete(s.many, t)
		return
	}
	if i, ok := slices.BinarySearch(s.few, t); ok {
		s.few = slices.Delete(s.few, i, i+1)
	}
}

// sorted returns the topics in a new sorted slice.
func (s *peerTopics) sorted() []string {
	if s.many == nil {
		return slices.Clone(s.few)
	}
	ts := make([]string, 0, len(s.many))
	for t := range s.many {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}
