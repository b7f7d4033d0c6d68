package score

import "github.com/gwyh/gwyh/peer"

// peerHandle names a peer in delivery records: 4 bytes instead of a
// 32-byte peer.ID, and its stats without a lookup by ID.
type peerHandle uint32

// noHandle stands for a peer that has no handle (never named by a live
// record, not known); no record holds it.
const noHandle = ^peerHandle(0)

// peerHandles gives every peer that is known, or that a live delivery
// record may name, a handle, and maps it back to the peer's stats.
//
// A record names its senders by handle and means their IDs, so a handle
// must stand for one ID for as long as any live record may hold it: a
// known peer's handle is in its peerStats; when Refresh forgets the peer,
// its handle stays with its ID (idle) until every record it was written
// into has left (lastRef), and if the peer is added again meanwhile it
// gets the same handle back. A peer that is not known gets an idle handle
// when a record first names it (a record remembers any sender, known or
// not, as one that may be added before the outcome). Only once idle and
// unreferenced is a handle free for another ID. Handles are handed out
// and released in an order that depends only on the calls (release scans
// in handle order), so the Scorer stays deterministic.
type peerHandles struct {
	slots []handleSlot
	free  []peerHandle
	idle  map[peer.ID]peerHandle // handles of IDs that are not known
	// sweepAt is the size of idle at which idleOf releases what it can,
	// so that idle handles stay bounded even without Refresh.
	sweepAt int
}

// minSweep is the least sweepAt.
const minSweep = 64

// handleSlot is the state of one handle.
type handleSlot struct {
	id peer.ID
	ps *peerStats // nil while id is not known (idle or free)
	// lastRef is 1 + the seq of the newest record the handle was written
	// into, 0 if none: once the records' head has passed it, no live
	// record holds the handle.
	lastRef uint64
	idle    bool // in idle
}

func (h *peerHandles) init() { h.idle = make(map[peer.ID]peerHandle) }

// stats returns the stats of handle's peer, nil when it is not known.
func (h *peerHandles) stats(handle peerHandle) *peerStats { return h.slots[handle].ps }

// attach gives ps, the new stats of id, a handle: id's idle handle if it
// has one, else a free one.
func (h *peerHandles) attach(id peer.ID, ps *peerStats) {
	handle, ok := h.idle[id]
	if ok {
		delete(h.idle, id)
		h.slots[handle].idle = false
	} else {
		handle = h.alloc(id)
	}
	h.slots[handle].ps = ps
	ps.handle = handle
}

// detach makes the handle of ps, whose peer is forgotten, idle.
func (h *peerHandles) detach(ps *peerStats) {
	s := &h.slots[ps.handle]
	s.ps, s.idle = nil, true
	h.idle[s.id] = ps.handle
}

// idleOf returns the idle handle of id, which is not known, giving it one
// if it has none; head is the records' head, as for release.
func (h *peerHandles) idleOf(id peer.ID, head uint64) peerHandle {
	handle, ok := h.idle[id]
	if !ok {
		if len(h.idle) >= h.sweepAt {
			h.release(head)
			h.sweepAt = max(2*len(h.idle), minSweep)
		}
		handle = h.alloc(id)
		h.slots[handle].idle = true
		h.idle[id] = handle
	}
	return handle
}

// written notes that handle was written into the record seq (which may
// be older than one it was written into before).
func (h *peerHandles) written(handle peerHandle, seq uint64) {
	s := &h.slots[handle]
	s.lastRef = max(s.lastRef, seq+1)
}

// alloc returns a free handle, now id's.
func (h *peerHandles) alloc(id peer.ID) peerHandle {
	var handle peerHandle
	if n := len(h.free); n > 0 {
		handle, h.free = h.free[n-1], h.free[:n-1]
	} else {
		if len(h.slots) == int(noHandle) {
			panic("score: out of peer handles") // 2³² − 1 peers known or recorded at once
		}
		handle = peerHandle(len(h.slots))
		h.slots = append(h.slots, handleSlot{})
	}
	h.slots[handle] = handleSlot{id: id}
	return handle
}

// release frees the idle handles that no live record holds: every record
// before head has left. O(handles) when any is idle.
func (h *peerHandles) release(head uint64) {
	if len(h.idle) == 0 {
		return
	}
	for i := range h.slots {
		s := &h.slots[i]
		if s.idle && s.lastRef <= head {
			delete(h.idle, s.id)
			*s = handleSlot{}
			h.free = append(h.free, peerHandle(i))
		}
	}
}
