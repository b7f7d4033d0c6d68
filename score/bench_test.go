package score

import (
	"fmt"
	"net/netip"
	"runtime"
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

// msgNode is a node as the router drives its Scorer in gwyh sim: 16
// connected mesh peers, handles taken at AddPeer, and one message per
// millisecond (step).
type msgNode struct {
	s    *Scorer
	refs [16]PeerRef
	ids  []string
	now  time.Time
	i    int
}

func newMsgNode(tb testing.TB, ids []string) *msgNode {
	m := &msgNode{s: mustNew(tb, DefaultParams("t")), ids: ids, now: t0}
	for i := range m.refs {
		id := pid(byte(i + 1))
		m.s.AddPeer(t0, id, netip.Addr{})
		m.s.Graft(t0, id, "t")
		m.refs[i] = m.s.Ref(id)
	}
	return m
}

// msgIDs returns n distinct 32-byte message ids.
func msgIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	return ids
}

// step handles the next message: first receipt (ValidateMessage), three
// copies by handle while it validates, acceptance (DeliverMessage), four
// copies by handle after; a Refresh every 100 messages.
func (m *msgNode) step() {
	s, n := m.s, len(m.refs)
	m.now = m.now.Add(time.Millisecond)
	id, from := m.ids[m.i%len(m.ids)], m.i%n
	s.ValidateMessage(m.now, m.refs[from].id, id, "t")
	for k := 1; k <= 3; k++ {
		s.DuplicateMessageRef(m.now, m.refs[(from+k)%n], []byte(id), "t")
	}
	s.DeliverMessage(m.now, m.refs[from].id, id, "t")
	for k := 4; k <= 7; k++ {
		s.DuplicateMessageRef(m.now, m.refs[(from+k)%n], []byte(id), "t")
	}
	if m.i%100 == 0 {
		s.Refresh(m.now)
	}
	m.i++
}

// BenchmarkMessageRef: one message (msgNode.step) per op. atBound: the
// records are at their bound (default TTL 2 min, at most 65,536), so each
// new one evicts the oldest; growing: a fresh Scorer every 16,384
// messages, so records are created and never dropped, as in a short
// simulation.
func BenchmarkMessageRef(b *testing.B) {
	ids := msgIDs(1 << 17)
	b.Run("atBound", func(b *testing.B) {
		m := newMsgNode(b, ids)
		for range 1 << 17 {
			m.step()
		}
		b.ReportAllocs()
		for b.Loop() {
			m.step()
		}
	})
	b.Run("growing", func(b *testing.B) {
		m := newMsgNode(b, ids)
		b.ReportAllocs()
		for b.Loop() {
			if m.i == 1<<14 {
				m = newMsgNode(b, ids)
			}
			m.step()
		}
	})
}

// BenchmarkRecordsHeap reports the live heap per delivery record (B/record)
// of a node that handled 16,384 messages (msgNode.step), each with seven
// copies remembered, none expired. The message ids are not counted: the
// router keeps them anyway.
func BenchmarkRecordsHeap(b *testing.B) {
	ids := msgIDs(1 << 14)
	var perRecord float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := newMsgNode(b, ids)
		for range len(ids) {
			m.step()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perRecord = float64(after.HeapAlloc-before.HeapAlloc) / float64(m.s.Stats().DeliveryRecords)
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perRecord, "B/record")
}
