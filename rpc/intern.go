package rpc

import "unsafe"

// internAll copies every string of d.r, which still alias the payload, into
// one arena allocated once and never written after its strings are made.
// The arena is passed by value, so that the decoder stays on the stack.
func (d *decoder) internAll() {
	if d.strBytes == 0 {
		return
	}
	arena := make([]byte, 0, d.strBytes)
	arena = ownEntries(arena, d.r.Subscriptions)
	arena = ownEntries(arena, d.r.Publish)
	d.r.ownControl(arena)
}

// ownEntries moves the strings of every entry of es into arena.
func ownEntries[T any, P entry[T]](arena []byte, es []T) []byte {
	for i := range es {
		arena = P(&es[i]).own(arena)
	}
	return arena
}

// ownString moves *s into arena, which has room for it (so that appending
// does not move the arena's earlier strings), and returns the extended arena.
func ownString(arena []byte, s *string) []byte {
	if len(*s) == 0 {
		return arena
	}
	start := len(arena)
	arena = append(arena, *s...)
	*s = unsafe.String(&arena[start], len(*s))
	return arena
}

// ownStrings moves every string of ids into arena.
func ownStrings(arena []byte, ids []string) []byte {
	for i := range ids {
		arena = ownString(arena, &ids[i])
	}
	return arena
}
