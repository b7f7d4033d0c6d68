package score

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

func TestSnapshot(t *testing.T) {
	p := DefaultParams("t")
	p.AppSpecificScore = func(id peer.ID) float64 { return float64(id[0]) }
	p.RetainScore = time.Minute
	s := mustNew(t, p)
	s.Refresh(t0)
	ids := []byte{9, 3, 200, 1}
	for _, b := range ids {
		s.AddPeer(t0, pid(b), ip("10.1.1.1"))
		s.Graft(t0, pid(b), "t")
	}
	s.Refresh(at(2 * time.Second))
	s.DeliverMessage(at(2*time.Second), pid(3), "m", "t")
	s.RejectMessage(at(2*time.Second), pid(9), "x", "t", ReasonInvalid)
	s.AddPenalty(pid(9), 4)
	s.RemovePeer(at(2*time.Second), pid(200))

	snap := s.Snapshot(at(32 * time.Second))
	if len(snap) != 4 {
		t.Fatalf("%d peers", len(snap))
	}
	for i, ps := range snap {
		if i > 0 && bytes.Compare(snap[i-1].Peer[:], ps.Peer[:]) >= 0 {
			t.Fatalf("not sorted at %d", i)
		}
		if ps.Score != s.Score(ps.Peer) {
			t.Errorf("%v: snapshot %v, Score %v", ps.Peer.Short(), ps.Score, s.Score(ps.Peer))
		}
	}
	tp := p.Topics["t"]
	p9 := snap[2]
	if p9.Peer != pid(9) || !p9.Connected || len(p9.Topics) != 1 {
		t.Fatalf("p9 = %+v", p9)
	}
	ts := p9.Topics[0]
	wantRaw := TopicComponents{P1: 2, P4: 1}
	if ts.Topic != "t" || !ts.InMesh || ts.Raw != wantRaw {
		t.Errorf("p9 topic = %+v, want raw %+v", ts, wantRaw)
	}
	if ts.Weighted.P1 != 2*tp.TimeInMeshWeight || ts.Weighted.P4 != tp.InvalidMessageDeliveriesWeight {
		t.Errorf("p9 weighted = %+v", ts.Weighted)
	}
	// P6: 4 peers on 10.1.1.1 (one retained), threshold 3 → 1.
	// P7: 4 penalties, threshold 2 → 4.
	if p9.P5 != 9 || p9.W5 != 9 || p9.P6 != 1 || p9.W6 != -10 || p9.P7 != 4 || p9.W7 != -40 {
		t.Errorf("p9 globals = P5 %v/%v P6 %v/%v P7 %v/%v", p9.P5, p9.W5, p9.P6, p9.W6, p9.P7, p9.W7)
	}
	gone := snap[3]
	if gone.Peer != pid(200) || gone.Connected || gone.RetainedFor != 30*time.Second || gone.Topics[0].InMesh {
		t.Errorf("retained peer = %+v", gone)
	}
	if snap[1].Topics[0].Raw.P2 != 1 {
		t.Errorf("p3 P2 = %v, want 1", snap[1].Topics[0].Raw.P2)
	}
}

// Snapshots of two Scorers fed the same events are identical, and Params
// returns an independent copy.
func TestParamsCopied(t *testing.T) {
	p := DefaultParams("t")
	s := mustNew(t, p)
	p.Topics["t"].TopicWeight = 100
	p.IPColocationFactorWhitelist[0] = netip.MustParsePrefix("10.0.0.0/8")
	if got := s.Params(); got.Topics["t"].TopicWeight != 1 || got.IPColocationFactorWhitelist[0].String() != "127.0.0.0/8" {
		t.Fatalf("Scorer shares the caller's Params: %+v", got.Topics["t"])
	}
	got := s.Params()
	got.Topics["t"].TopicWeight = 7
	if s.Params().Topics["t"].TopicWeight != 1 {
		t.Fatal("Params() shares the Scorer's TopicParams")
	}
}
