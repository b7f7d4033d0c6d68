package score

import (
	"net/netip"
	"testing"
	"time"
)

func retainParams() Params {
	tp := &TopicParams{
		TopicWeight:                  1,
		FirstMessageDeliveriesWeight: 1, FirstMessageDeliveriesDecay: 0.5, FirstMessageDeliveriesCap: 100,
		InvalidMessageDeliveriesWeight: -1, InvalidMessageDeliveriesDecay: 0.5,
	}
	p := baseParams(map[string]*TopicParams{"t": tp})
	p.RetainScore = 10 * time.Second
	p.IPColocationFactorWeight, p.IPColocationFactorThreshold = -1, 1
	return p
}

func TestRetainScore(t *testing.T) {
	a, b := pid(1), pid(2)
	cases := []struct {
		name string
		// run acts after a has 2 invalid messages (P4 −4) and disconnects
		// at 0.5 s: it is retained until 10.5 s.
		run       func(s *Scorer)
		wantScore float64
		wantKnown bool
	}{
		{"kept, frozen, until RetainScore passes", func(s *Scorer) { s.Refresh(at(10499 * time.Millisecond)) }, -4, true},
		{"forgotten once RetainScore passed", func(s *Scorer) { s.Refresh(at(10500 * time.Millisecond)) }, 0, false},
		{"reconnect within RetainScore keeps the score, then it decays", func(s *Scorer) {
			s.Refresh(at(5 * time.Second))
			s.AddPeer(at(5*time.Second), a, netip.Addr{})
			s.Refresh(at(6 * time.Second)) // 1 step while connected: 2 × 0.5 = 1 → −1
		}, -1, true},
		{"reconnect after RetainScore starts afresh", func(s *Scorer) {
			s.Refresh(at(12 * time.Second))
			s.AddPeer(at(12*time.Second), a, netip.Addr{})
		}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, retainParams())
			s.Refresh(t0)
			s.AddPeer(t0, a, netip.Addr{})
			s.RejectMessage(t0, a, "m1", "t", ReasonInvalid)
			s.RejectMessage(t0, a, "m2", "t", ReasonInvalid)
			s.AddPeer(t0, b, netip.Addr{})
			s.RemovePeer(at(500*time.Millisecond), a)
			tc.run(s)
			if got := s.Score(a); got != tc.wantScore {
				t.Fatalf("Score = %v, want %v", got, tc.wantScore)
			}
			known := s.peers[a] != nil
			if known != tc.wantKnown {
				t.Fatalf("known = %v, want %v", known, tc.wantKnown)
			}
			snap := s.Snapshot(at(30 * time.Second))
			if len(snap) != 1+btoi(known) {
				t.Fatalf("snapshot has %d peers", len(snap))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A disconnect clears P2, turns P3 into P3b as a prune does, and the
// retained peer's IP keeps counting for P6 until it is forgotten.
func TestRemovePeer(t *testing.T) {
	p := retainParams()
	p.Topics["t"].MeshMessageDeliveriesWeight = -1
	p.Topics["t"].MeshMessageDeliveriesDecay = 0.5
	p.Topics["t"].MeshMessageDeliveriesThreshold = 3
	p.Topics["t"].MeshMessageDeliveriesCap = 3
	p.Topics["t"].MeshFailurePenaltyWeight = -1
	p.Topics["t"].MeshFailurePenaltyDecay = 0.5
	s := mustNew(t, p)
	a, b := pid(1), pid(2)
	s.AddPeer(t0, a, ip("10.0.0.1"))
	s.AddPeer(t0, b, ip("10.0.0.1"))
	s.Graft(t0, a, "t")
	s.Refresh(at(time.Second)) // P3 active, deficit 3
	s.DeliverMessage(at(time.Second), a, "m", "t")
	// a: P2 1, P3 (3−1)² = 4 → −4, P6 (2−1)² = 1 → −1.
	if got := s.Score(a); got != 1-4-1 {
		t.Fatalf("connected: Score = %v, want -4", got)
	}
	s.RemovePeer(at(time.Second), a)
	// a: P2 cleared, P3b 4 → −4, P6 −1 (its IP still counts).
	if got := s.Score(a); got != -5 {
		t.Fatalf("retained: Score = %v, want -5", got)
	}
	if got := s.Score(b); got != -1 {
		t.Fatalf("colocated peer: Score = %v, want -1", got)
	}
	if st := s.Stats(); st.Peers != 1 || st.RetainedPeers != 1 {
		t.Fatalf("Stats: %d peers, %d retained, want 1 and 1", st.Peers, st.RetainedPeers)
	}
	s.Refresh(at(11 * time.Second))
	if got := s.Score(b); got != 0 {
		t.Fatalf("after a is forgotten: Score(b) = %v, want 0", got)
	}
	// A reconnect from another IP moves its P6 count.
	s.AddPeer(at(12*time.Second), a, ip("10.0.0.2"))
	s.AddPeer(at(12*time.Second), b, ip("10.0.0.2"))
	if got := s.Score(b); got != -1 {
		t.Fatalf("moved: Score(b) = %v, want -1", got)
	}
	s.AddPeer(at(12*time.Second), b, ip("10.0.0.3"))
	if got, want := s.ips, map[netip.Addr]int{ip("10.0.0.2"): 1, ip("10.0.0.3"): 1}; len(got) != 2 || got[ip("10.0.0.2")] != 1 || got[ip("10.0.0.3")] != 1 {
		t.Fatalf("ips = %v, want %v", got, want)
	}
}

func TestLeavePrunesMesh(t *testing.T) {
	p := retainParams()
	p.Topics["t"].MeshFailurePenaltyWeight = -1
	p.Topics["t"].MeshFailurePenaltyDecay = 0.5
	p.Topics["t"].MeshMessageDeliveriesThreshold = 2
	p.Topics["t"].MeshMessageDeliveriesCap = 2
	s := mustNew(t, p)
	s.Join(t0, "t")
	s.AddPeer(t0, pid(1), netip.Addr{})
	s.Graft(t0, pid(1), "t")
	s.Refresh(at(time.Second))
	s.Leave(at(time.Second), "t")
	s.Prune(at(time.Second), pid(1), "t") // no-op now
	if got := s.Score(pid(1)); got != -4 {
		t.Fatalf("Score = %v, want -4 (deficit 2, squared, once)", got)
	}
}
