package score

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// TestPeerHandles: records name peers by handle, and a handle must mean
// the same peer ID for as long as a live record may hold it. Each case
// starts with peers 1..3 connected and in the mesh of "t" (deliveryParams:
// records kept a minute, at most 4; RetainScore 0: a removed peer is
// forgotten at the next Refresh) and checks the P2, P3, P4 counters, the
// unknown-peer events and, in some cases, which handle a peer got.
func TestPeerHandles(t *testing.T) {
	ms := func(n int) time.Time { return at(time.Duration(n) * time.Millisecond) }
	add := func(s *Scorer, now time.Time, b byte) {
		s.AddPeer(now, pid(b), netip.Addr{})
		s.Graft(now, pid(b), "t")
	}
	forget := func(s *Scorer, now time.Time, b byte) {
		s.RemovePeer(now, pid(b))
		s.Refresh(now)
	}
	handle := func(s *Scorer, b byte) peerHandle { return s.peers[pid(b)].handle }
	cases := []struct {
		name        string
		run         func(t *testing.T, s *Scorer)
		want        map[byte][3]float64 // peer → P2, P3, P4 counters
		wantUnknown uint64
	}{{
		name: "a forgotten peer's handle is not given to another while a record holds it",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.DuplicateMessage(ms(1), pid(2), "m", "t")
			h2 := handle(s, 2)
			forget(s, ms(2), 2)
			add(s, ms(3), 4)
			if handle(s, 4) == h2 {
				t.Fatalf("peer 4 got the handle of forgotten peer 2, which record m holds")
			}
			s.DeliverMessage(ms(4), pid(1), "m", "t")
		},
		want:        map[byte][3]float64{1: {1, 1, 0}},
		wantUnknown: 1, // peer 2, at DeliverMessage
	}, {
		name: "a forgotten peer added again while a record holds it gets its handle back",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.DuplicateMessage(ms(1), pid(2), "m", "t")
			h2 := handle(s, 2)
			forget(s, ms(2), 2)
			add(s, ms(3), 2)
			if handle(s, 2) != h2 {
				t.Fatalf("peer 2 came back with another handle")
			}
			s.DuplicateMessage(ms(4), pid(2), "m", "t") // already counted
			s.DeliverMessage(ms(5), pid(1), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}, 2: {0, 1, 0}},
	}, {
		name: "the handle is free for another peer once the records holding it left",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.DuplicateMessage(ms(1), pid(2), "m", "t")
			s.RejectMessage(ms(2), pid(1), "m", "t", ReasonInvalid)
			h2 := handle(s, 2)
			forget(s, ms(3), 2)
			s.Refresh(at(time.Minute)) // m expires, then the handle is free
			add(s, at(time.Minute), 4)
			if handle(s, 4) != h2 {
				t.Fatalf("peer 4 got handle %d, want the free %d", handle(s, 4), h2)
			}
			s.ValidateMessage(at(time.Minute), pid(1), "m2", "t")
			s.DuplicateMessage(at(time.Minute), pid(4), "m2", "t")
			s.RejectMessage(at(time.Minute), pid(1), "m2", "t", ReasonInvalid)
		},
		// Peer 1's first P4 decayed to 0 over the minute.
		want: map[byte][3]float64{1: {0, 0, 1}, 4: {0, 0, 1}},
	}, {
		name: "a handle written into an older record after a newer one stays held",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m1", "t")
			s.ValidateMessage(ms(0), pid(2), "m2", "t")
			s.DuplicateMessage(ms(1), pid(2), "m1", "t")
			forget(s, ms(2), 2)
			for i := range 3 { // m1 is evicted; m2, whose first sender is peer 2, stays
				s.ValidateMessage(ms(3), pid(1), string(rune('a'+i)), "t")
			}
			s.Refresh(ms(3))
			add(s, ms(4), 4)
			add(s, ms(4), 2)
			s.DuplicateMessage(ms(5), pid(2), "m2", "t") // the first sender's copy
			s.DeliverMessage(ms(6), pid(2), "m2", "t")
		},
		want:        map[byte][3]float64{2: {1, 1, 0}},
		wantUnknown: 0,
	}, {
		name: "a sender not yet known is remembered and credited once added",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(5), "m", "t") // first sender, unknown
			s.DuplicateMessage(ms(1), pid(4), "m", "t")
			add(s, ms(2), 4)
			add(s, ms(2), 5)
			s.DuplicateMessage(ms(3), pid(5), "m", "t") // the first sender's copy
			s.DuplicateMessage(ms(3), pid(4), "m", "t") // counted already
			s.DeliverMessage(ms(4), pid(5), "m", "t")
		},
		want: map[byte][3]float64{4: {0, 1, 0}, 5: {1, 1, 0}},
	}, {
		name: "an unknown sender counts once per message",
		run: func(t *testing.T, s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.RejectMessage(ms(1), pid(1), "m", "t", ReasonInvalid)
			for range 3 {
				s.DuplicateMessage(ms(2), pid(6), "m", "t")
			}
		},
		want:        map[byte][3]float64{1: {0, 0, 1}},
		wantUnknown: 1,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, deliveryParams())
			s.Refresh(t0)
			for b := byte(1); b <= 3; b++ {
				add(s, t0, b)
			}
			tc.run(t, s)
			for b := byte(1); b <= 6; b++ {
				if got, want := counters(s, b), tc.want[b]; got != want {
					t.Errorf("peer %d: P2, P3, P4 counters = %v, want %v", b, got, want)
				}
			}
			if got := s.Stats().UnknownPeerEvents; got != tc.wantUnknown {
				t.Errorf("UnknownPeerEvents = %d, want %d", got, tc.wantUnknown)
			}
			checkHandles(t, s)
		})
	}
}

// Idle handles of unknown senders stay bounded without Refresh: idleOf
// releases those no live record holds as they accumulate.
func TestIdleHandlesBounded(t *testing.T) {
	s := mustNew(t, deliveryParams()) // at most 4 records
	for i := range 10000 {
		id := fmt.Sprint(i)
		s.ValidateMessage(t0, peer.ID{byte(i), byte(i >> 8), 1}, id, "t")
		s.DuplicateMessage(t0, peer.ID{byte(i), byte(i >> 8), 2}, id, "t")
	}
	if n := len(s.handles.slots); n > 2*minSweep {
		t.Fatalf("%d handles for 4 records of 2 senders each", n)
	}
	checkHandles(t, s)
}

// checkHandles checks peerHandles' invariants: every known peer's handle
// names it and holds its stats; every idle handle names its ID and holds
// none; every handle a live record holds is in use; free handles are
// neither.
func checkHandles(t *testing.T, s *Scorer) {
	t.Helper()
	h := &s.handles
	inUse := 0
	for id, ps := range s.peers {
		if sl := h.slots[ps.handle]; sl.ps != ps || sl.id != id || sl.idle {
			t.Errorf("peer %d: handle %d holds %+v", id[0], ps.handle, sl)
		}
		inUse++
	}
	for id, hd := range h.idle {
		if sl := h.slots[hd]; sl.ps != nil || sl.id != id || !sl.idle {
			t.Errorf("idle %d: handle %d holds %+v", id[0], hd, sl)
		}
		inUse++
	}
	if inUse+len(h.free) != len(h.slots) {
		t.Errorf("%d handles in use, %d free, of %d", inUse, len(h.free), len(h.slots))
	}
	for _, hd := range h.free {
		if sl := h.slots[hd]; sl.ps != nil || sl.idle {
			t.Errorf("free handle %d holds %+v", hd, sl)
		}
	}
	for seq := s.records.head; seq < s.records.tail; seq++ {
		r := s.records.at(seq)
		for _, hd := range append([]peerHandle{r.from}, r.peers...) {
			if sl := h.slots[hd]; sl.ps == nil && !sl.idle {
				t.Errorf("record %s holds free handle %d", r.id, hd)
			}
			if h.slots[hd].lastRef <= seq {
				t.Errorf("record %s holds handle %d, written last into record %d", r.id, hd, h.slots[hd].lastRef-1)
			}
		}
	}
}
