package score

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// BenchmarkScore: Score of one peer that is in the mesh of 3 scored topics
// with every component live, among 50 peers: cached (no event touched the
// peer since the last Score) and afterChange (the topic part recomputed).
func BenchmarkScore(b *testing.B) {
	p := DefaultParams("t0")
	tp := DefaultTopicParams()
	p.Topics["t1"], p.Topics["t2"] = &tp, &tp
	p.AppSpecificScore = func(id peer.ID) float64 { return float64(id[0] & 1) }
	s := mustNew(b, p)
	s.Refresh(t0)
	for i := range 50 {
		s.AddPeer(t0, pid(byte(i)), netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 10)}))
		for _, t := range []string{"t0", "t1", "t2"} {
			s.Graft(t0, pid(byte(i)), t)
		}
	}
	now := t0
	for m := range 3000 {
		now = t0.Add(time.Duration(m) * 20 * time.Millisecond)
		id, t := fmt.Sprint(m), fmt.Sprint("t", m%3)
		s.ValidateMessage(now, pid(byte(m%50)), id, t)
		s.DuplicateMessage(now, pid(byte(m%7)), id, t)
		s.DeliverMessage(now, pid(byte(m%50)), id, t)
		if m%50 == 0 {
			s.Refresh(now)
		}
	}
	s.AddPenalty(pid(7), 3)
	target := pid(7)
	ps := s.peers[target]
	for _, bc := range []struct {
		name  string
		stale bool
	}{{"cached", false}, {"afterChange", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sum float64
			for b.Loop() {
				ps.stale = bc.stale // as after any event touching the peer
				sum += s.Score(target)
			}
			if sum == 0 {
				b.Fatal("score is 0")
			}
		})
	}
}

// BenchmarkRefresh: one heartbeat (one decay step) over 200 peers in 3
// topics.
func BenchmarkRefresh(b *testing.B) {
	p := DefaultParams("t0")
	tp := DefaultTopicParams()
	p.Topics["t1"], p.Topics["t2"] = &tp, &tp
	s := mustNew(b, p)
	for i := range 200 {
		id := peer.ID{byte(i), byte(i >> 8)}
		s.AddPeer(t0, id, netip.Addr{})
		for _, t := range []string{"t0", "t1", "t2"} {
			s.Graft(t0, id, t)
			s.RejectMessage(t0, id, fmt.Sprint(i, t), t, ReasonInvalid)
		}
	}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		s.Refresh(now)
	}
}

// BenchmarkDeliver: first receipt, one near-first copy and acceptance of
// one message, with records expiring.
func BenchmarkDeliver(b *testing.B) {
	s := mustNew(b, DefaultParams("t"))
	for i := range 10 {
		s.AddPeer(t0, pid(byte(i)), netip.Addr{})
		s.Graft(t0, pid(byte(i)), "t")
	}
	ids := make([]string, 1<<16)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	now := t0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now = now.Add(time.Millisecond)
		id := ids[i%len(ids)]
		s.ValidateMessage(now, pid(byte(i%10)), id, "t")
		s.DuplicateMessage(now, pid(byte((i+1)%10)), id, "t")
		s.DeliverMessage(now, pid(byte(i%10)), id, "t")
		if i%1000 == 0 {
			s.Refresh(now)
		}
		i++
	}
}
