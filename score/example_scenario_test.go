package score

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// DefaultParams behaves as its comments say on the traffic it was sized
// for: 20 msg/s, a D = 6 mesh, 1 s heartbeats.
func TestDefaultParamsScenario(t *testing.T) {
	p, th := DefaultParams("t"), DefaultThresholds()
	s := mustNew(t, p)
	honest := []byte{1, 2, 3, 4, 5}
	silent, bad := byte(6), byte(7)
	for b := byte(1); b <= 7; b++ {
		s.AddPeer(t0, pid(b), netip.AddrFrom4([4]byte{10, 0, 0, b}))
		if b != bad { // bad is not in our mesh: only P4 counts for it
			s.Graft(t0, pid(b), "t")
		}
	}
	s.Refresh(t0)
	for m := range 20 * 120 { // 2 minutes at 20 msg/s
		now := t0.Add(time.Duration(m) * 50 * time.Millisecond)
		if m%20 == 0 {
			s.Refresh(now)
		}
		id := fmt.Sprint(m)
		first := pid(honest[m%len(honest)])
		s.ValidateMessage(now, first, id, "t")
		s.DeliverMessage(now.Add(time.Millisecond), first, id, "t")
		for i, h := range honest { // the others' copies: one near-first, the rest late
			if pid(h) != first {
				s.DuplicateMessage(now.Add(time.Duration(2+i*10)*time.Millisecond), pid(h), id, "t")
			}
		}
		if m < 20*3 && m%20 == 0 { // 3 invalid messages in the first 3 s
			s.RejectMessage(now, pid(bad), "bad"+id, "t", ReasonInvalid)
		}
	}
	end := at(2 * time.Minute)
	s.Refresh(end)
	for _, ps := range s.Snapshot(end) {
		t.Logf("peer %d: %.2f %+v", ps.Peer[0], ps.Score, ps.Topics[0].Weighted)
	}
	for _, h := range honest {
		if sc := s.Score(pid(h)); sc < 20 || sc > 50 {
			t.Errorf("honest peer %d: score %.2f, want in [20, 50]", h, sc)
		}
	}
	if sc := s.Score(pid(silent)); sc > -40 || sc < th.GossipThreshold {
		t.Errorf("silent peer: score %.2f, want about −50 (pruned, still gossiped with)", sc)
	}
	if sc := s.Score(pid(bad)); sc >= 0 || sc < th.GossipThreshold {
		t.Errorf("3 invalid messages: score %.2f, want below 0, above %v", sc, th.GossipThreshold)
	}
	for i := range 4 { // 7 in all
		s.RejectMessage(end, pid(bad), fmt.Sprint("worse", i), "t", ReasonInvalid)
	}
	if sc := s.Score(pid(bad)); sc >= th.GraylistThreshold {
		t.Errorf("7 invalid messages: score %.2f, want below graylist %v", sc, th.GraylistThreshold)
	}
}
