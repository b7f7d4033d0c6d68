package score

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// deliveryParams scores only P2 (weight 1), P3 via a counter we read from
// the snapshot, and P4 (weight −1).
func deliveryParams() Params {
	tp := &TopicParams{
		TopicWeight:                  1,
		FirstMessageDeliveriesWeight: 1, FirstMessageDeliveriesDecay: 0.5, FirstMessageDeliveriesCap: 100,
		MeshMessageDeliveriesWeight: -1, MeshMessageDeliveriesDecay: 0.5, MeshMessageDeliveriesCap: 100,
		MeshMessageDeliveriesThreshold: 50, MeshMessageDeliveriesWindow: 10 * time.Millisecond,
		MeshMessageDeliveriesActivation: time.Hour,
		InvalidMessageDeliveriesWeight:  -1, InvalidMessageDeliveriesDecay: 0.5,
	}
	p := baseParams(map[string]*TopicParams{"t": tp})
	p.DeliveryRecordTTL = time.Minute
	p.MaxDeliveryRecords = 4
	return p
}

// counters returns (P2 counter, P3 counter, P4 counter) of p in "t".
func counters(s *Scorer, b byte) [3]float64 {
	ps := s.peers[pid(b)]
	if ps == nil {
		return [3]float64{}
	}
	ts := ps.topic("t")
	if ts == nil {
		return [3]float64{}
	}
	return [3]float64{ts.firstMessageDeliveries, ts.meshMessageDeliveries, ts.invalidMessageDeliveries}
}

func TestDeliveries(t *testing.T) {
	ms := func(n int) time.Time { return at(time.Duration(n) * time.Millisecond) }
	// Every case runs through DuplicateMessage and DuplicateMessageBytes,
	// which must agree.
	viaBytes := false
	dup := func(s *Scorer, now time.Time, p peer.ID, id, topic string) {
		if viaBytes {
			b := []byte(id)
			s.DuplicateMessageBytes(now, p, b, topic)
			clear(b) // the scorer must not keep the borrowed id
			return
		}
		s.DuplicateMessage(now, p, id, topic)
	}
	cases := []struct {
		name string
		run  func(s *Scorer)
		want map[byte][3]float64 // peer → P2, P3, P4 counters
	}{{
		name: "first delivery by a mesh peer: P2 and P3",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.DeliverMessage(ms(5), pid(1), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}},
	}, {
		name: "first delivery by a non-mesh peer: P2 only",
		run: func(s *Scorer) {
			s.DeliverMessage(ms(0), pid(4), "m", "t")
		},
		want: map[byte][3]float64{4: {1, 0, 0}},
	}, {
		name: "near-first copy within the window counts for P3, later ones do not",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.DeliverMessage(ms(1), pid(1), "m", "t")
			dup(s, ms(10), pid(2), "m", "t")
			dup(s, ms(11), pid(3), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}, 2: {0, 1, 0}, 3: {0, 0, 0}},
	}, {
		name: "copies while validating count, however long validation takes",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			dup(s, ms(500), pid(2), "m", "t")
			dup(s, ms(600), pid(3), "m", "t")
			dup(s, ms(700), pid(4), "m", "t") // not in mesh
			s.DeliverMessage(ms(900), pid(1), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}, 2: {0, 1, 0}, 3: {0, 1, 0}, 4: {}},
	}, {
		name: "each peer counts once per message; the first sender's copies none",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			dup(s, ms(1), pid(2), "m", "t")
			dup(s, ms(1), pid(1), "m", "t")
			s.DeliverMessage(ms(2), pid(1), "m", "t")
			dup(s, ms(3), pid(2), "m", "t")
			dup(s, ms(3), pid(1), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}, 2: {0, 1, 0}},
	}, {
		name: "invalid: the sender and copies while validating and after earn P4",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			dup(s, ms(1), pid(2), "m", "t")
			s.RejectMessage(ms(2), pid(1), "m", "t", ReasonInvalid)
			dup(s, ms(500), pid(3), "m", "t") // long after the window
			dup(s, ms(501), pid(3), "m", "t")
		},
		want: map[byte][3]float64{1: {0, 0, 1}, 2: {0, 0, 1}, 3: {0, 0, 1}},
	}, {
		name: "ignored: no penalty, no credit",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			dup(s, ms(1), pid(2), "m", "t")
			s.RejectMessage(ms(2), pid(1), "m", "t", ReasonIgnored)
			dup(s, ms(3), pid(3), "m", "t")
		},
		want: map[byte][3]float64{},
	}, {
		name: "a rejected message that never validated leaves no record",
		run: func(s *Scorer) {
			s.RejectMessage(ms(0), pid(4), "m", "t", ReasonInvalid) // forged copy
			s.ValidateMessage(ms(1), pid(1), "m", "t")
			dup(s, ms(2), pid(2), "m", "t")
			s.DeliverMessage(ms(3), pid(1), "m", "t")
			dup(s, ms(4), pid(3), "m", "t")
		},
		want: map[byte][3]float64{4: {0, 0, 1}, 1: {1, 1, 0}, 2: {0, 1, 0}, 3: {0, 1, 0}},
	}, {
		name: "a second outcome is ignored",
		run: func(s *Scorer) {
			s.DeliverMessage(ms(0), pid(1), "m", "t")
			s.RejectMessage(ms(1), pid(1), "m", "t", ReasonInvalid)
			s.DeliverMessage(ms(2), pid(1), "m", "t")
		},
		want: map[byte][3]float64{1: {1, 1, 0}},
	}, {
		name: "copies after the record expired earn nothing",
		run: func(s *Scorer) {
			s.ValidateMessage(ms(0), pid(1), "m", "t")
			s.RejectMessage(ms(0), pid(1), "m", "t", ReasonInvalid)
			s.Refresh(at(time.Minute))
			dup(s, at(time.Minute), pid(2), "m", "t")
		},
		want: map[byte][3]float64{}, // peer 1's P4 decayed to 0 over 60 s; peer 2 has none
	}, {
		name: "unknown message copies are ignored",
		run: func(s *Scorer) {
			dup(s, ms(0), pid(2), "nope", "t")
		},
		want: map[byte][3]float64{},
	}}
	for _, tc := range cases {
		for _, viaBytes = range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bytes=%v", tc.name, viaBytes), func(t *testing.T) {
				s := mustNew(t, deliveryParams())
				s.Refresh(t0)
				for b := byte(1); b <= 4; b++ {
					s.AddPeer(t0, pid(b), netip.Addr{})
					if b <= 3 {
						s.Graft(t0, pid(b), "t")
					}
				}
				tc.run(s)
				for b := byte(1); b <= 4; b++ {
					if got, want := counters(s, b), tc.want[b]; got != want {
						t.Errorf("peer %d: P2, P3, P4 counters = %v, want %v", b, got, want)
					}
				}
			})
		}
	}
}

func TestDeliveryRecordsBounded(t *testing.T) {
	s := mustNew(t, deliveryParams()) // at most 4 records, 1 min
	a := pid(1)
	s.AddPeer(t0, a, netip.Addr{})
	for i := range 10 {
		s.ValidateMessage(at(time.Duration(i)*time.Second), a, fmt.Sprint(i), "t")
	}
	st := s.Stats()
	if st.DeliveryRecords != 4 || st.RecordsEvicted != 6 {
		t.Fatalf("records %d evicted %d, want 4 and 6", st.DeliveryRecords, st.RecordsEvicted)
	}
	// The evicted message's outcome now counts as a fresh first receipt;
	// the kept ones still see their first receipt.
	if r, _ := s.records.get("5"); r != nil {
		t.Fatalf("record 5 kept")
	}
	if r, _ := s.records.get("6"); r == nil {
		t.Fatalf("wrong records evicted")
	}
	s.Refresh(at(66 * time.Second)) // records 6..9 were first seen at 6..9 s
	st = s.Stats()
	if st.DeliveryRecords != 3 || st.RecordsExpired != 1 {
		t.Fatalf("after expiry: records %d expired %d, want 3 and 1", st.DeliveryRecords, st.RecordsExpired)
	}
	s.Refresh(at(time.Hour))
	if st = s.Stats(); st.DeliveryRecords != 0 || st.RecordsExpired != 4 {
		t.Fatalf("after an hour: records %d expired %d", st.DeliveryRecords, st.RecordsExpired)
	}
	// Many records over time: the ring stays at its bound.
	for i := range 100000 {
		now := at(time.Hour + time.Duration(i)*time.Millisecond)
		s.ValidateMessage(now, a, fmt.Sprint("x", i), "t")
		if i%1000 == 0 {
			s.Refresh(now)
		}
	}
	if n := s.records.len(); n != 4 || len(s.records.ring) != 4 {
		t.Fatalf("ring live %d size %d, want 4 and 4", n, len(s.records.ring))
	}
}

func TestRecordPeersBounded(t *testing.T) {
	s := mustNew(t, deliveryParams())
	s.ValidateMessage(t0, pid(0), "m", "t")
	for i := range maxRecordPeers + 10 {
		s.DuplicateMessage(t0, pid(byte(i+1)), "m", "t")
	}
	if r, _ := s.records.get("m"); len(r.peers) != maxRecordPeers {
		t.Fatalf("record holds %d peers, want %d", len(r.peers), maxRecordPeers)
	}
	if got := s.Stats().RecordPeersDropped; got != 10 {
		t.Fatalf("RecordPeersDropped = %d, want 10", got)
	}
}

func TestUnknownPeersCounted(t *testing.T) {
	s := mustNew(t, deliveryParams())
	s.DeliverMessage(t0, pid(9), "m", "t")
	s.Graft(t0, pid(9), "t")
	s.AddPenalty(pid(9), 1)
	s.RemovePeer(t0, pid(9))
	st := s.Stats()
	if st.UnknownPeerEvents != 4 || st.Peers != 0 {
		t.Fatalf("stats %+v", st)
	}
}
