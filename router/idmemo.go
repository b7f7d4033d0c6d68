package router

import (
	"bytes"
	"hash/maphash"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/rpc"
)

// idMemoSlots is the most slots of the content-id memo: the ids of this
// many recent messages (fewer on slot collisions). Duplicates arrive within
// a few round trips of the first copy, so the memo needs to reach back only
// that far; 1,024 slots are 16 KiB. A memo starts at idMemoFirst slots and
// doubles each time it has been written twice as many times as it has
// slots, so that a node that sees few messages (most of a large
// simulation's) holds 1 KiB.
const (
	idMemoSlots = 1024
	idMemoFirst = 64
)

// idMemo spares SHA-256 for the duplicate copies of StrictNoSign messages
// (four to six per message with D=6), whose default id is a SHA-256 of
// topic and data (contentID). It maps a keyed 64-bit hash of the topic and
// data to a message the cache holds (a mesh.CacheRef, which finds the
// cached entry and its id without a map lookup), and a lookup is a hit only
// if the cached body has the same topic and data byte for byte, so an id
// taken from it is exactly the one SHA-256 would give: hash collisions,
// accidental or crafted, cost a SHA-256 and never a wrong id. That is also
// why its seed may be random (maphash's) in a deterministic router: the
// memo changes how an id is computed, never which.
type idMemo struct {
	seed   maphash.Seed
	slots  []idMemoSlot // a power of two of them
	writes int          // since slots last grew
}

type idMemoSlot struct {
	h   uint64
	ref mesh.CacheRef
}

func newIDMemo() *idMemo {
	return &idMemo{seed: maphash.MakeSeed(), slots: make([]idMemoSlot, idMemoFirst)}
}

// slot returns the slot of hash h.
func (t *idMemo) slot(h uint64) *idMemoSlot { return &t.slots[h&uint64(len(t.slots)-1)] }

// put remembers ref under h, growing the memo first when it is due.
func (t *idMemo) put(h uint64, ref mesh.CacheRef) {
	if t.writes++; t.writes > 2*len(t.slots) && len(t.slots) < idMemoSlots {
		old := t.slots
		t.slots, t.writes = make([]idMemoSlot, 2*len(old)), 0
		for _, s := range old {
			if s != (idMemoSlot{}) {
				*t.slot(s.h) = s
			}
		}
	}
	*t.slot(h) = idMemoSlot{h: h, ref: ref}
}

func (t *idMemo) hash(m *rpc.Message) uint64 {
	return maphash.Bytes(t.seed, m.Data) ^ maphash.String(t.seed, m.Topic)*0x9e3779b97f4a7c15
}

// cached notes that the cache holds m at ref, if its id is its content id.
func (r *Router) cached(ref mesh.CacheRef, m *rpc.Message) {
	if !r.contentIDs(m.Topic) {
		return
	}
	r.idMemo.put(r.idMemo.hash(m), ref)
}

// memoID returns m's content id if it is a copy of a message remembered
// and still cached.
func (r *Router) memoID(m *rpc.Message) (string, bool) {
	h := r.idMemo.hash(m)
	s := r.idMemo.slot(h)
	if s.h != h {
		return "", false
	}
	id, cm, ok := r.mcache.ByRef(s.ref)
	if !ok || cm.Topic != m.Topic || !bytes.Equal(cm.Data, m.Data) {
		return "", false
	}
	return id, true
}
