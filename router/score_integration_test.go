package router

import (
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// meshParams returns router params with a small, rigid mesh (D = Dlo =
// Dhi = 3, Dout = 1) so that a pruned mesh peer must be replaced at once.
func meshParams() Params {
	p := DefaultParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout, p.Dlazy = 3, 3, 3, 2, 1, 3
	return p
}

// TestScoreSilentMeshPeerPruned: a mesh peer that is subscribed and
// grafted but forwards no message sinks below zero through P3 once
// MeshMessageDeliveriesActivation has passed, is pruned at a heartbeat and
// replaced; its P3b sticky penalty shows in the Snapshot afterwards.
func TestScoreSilentMeshPeerPruned(t *testing.T) {
	const (
		topic      = "t"
		subject    = 0
		silent     = 6
		activation = 10 * time.Second
	)
	sp := score.DefaultParams(topic)
	sp.Topics[topic].MeshMessageDeliveriesActivation = activation
	p := meshParams()
	// The subject refuses inbound GRAFTs beyond Dhi with a PRUNE and
	// backs off from those peers: a short backoff leaves replacements
	// available by the time P3 is active.
	p.PruneBackoff = 5 * time.Second
	scored := withScorer(t, sp, score.DefaultThresholds())
	nt := newTestNet(t, 7, 77, func(i int, c *Config) {
		c.Params = p
		scored(c)
		if i == silent {
			c.Params.Dhi = 6 // room for the subject's GRAFT
		}
	})
	// The silent router keeps an honest state but its messages never
	// reach the wire: it sends control and gossip only.
	nt.filter = func(from int, m *rpc.RPC) {
		if from == silent {
			m.Publish = nil
		}
	}
	// The silent peer is the only one the subject dialled: with Dout = 1
	// the subject keeps it in its mesh (Dout quota) until its score
	// says otherwise, and refuses inbound GRAFTs beyond Dhi, so its mesh
	// is exactly D after every heartbeat.
	nt.connectAll(func(i, j int) bool { return i != subject || j == silent })
	nt.joinAll(topic)
	S, X := nt.rs[subject], nt.rs[silent].ID()
	// Honest routers publish 5 msg/s from the start (a quiet topic would
	// starve every mesh peer's P3); time moves in 200 ms steps.
	var graftedAt, prunedAt time.Time
	var before []peer.ID
	for k := 0; k < 200 && prunedAt.IsZero(); k++ {
		nt.publish(1+k%5, topic, uint64(k), 64)
		nt.run()
		before = S.Mesh(topic)
		evs := nt.step(200*time.Millisecond, subject)
		in := slices.Contains(S.Mesh(topic), X)
		switch {
		case graftedAt.IsZero() && in:
			graftedAt = nt.now
		case graftedAt.IsZero():
		case hasEvent(evs, EventPrune, X):
			prunedAt = nt.now
		case !in:
			t.Fatalf("at +%v the silent peer left the mesh without a heartbeat prune", nt.now.Sub(graftedAt))
		}
	}
	if graftedAt.IsZero() {
		t.Fatal("the silent peer never entered the subject's mesh (the Dout quota should graft it)")
	}
	if prunedAt.IsZero() {
		t.Fatal("the silent mesh peer was never pruned")
	}
	t.Logf("grafted at +%v, pruned at +%v", graftedAt.Sub(t0), prunedAt.Sub(t0))
	if d := prunedAt.Sub(graftedAt); d < activation {
		t.Errorf("pruned %v after the graft, before P3 activation (%v)", d, activation)
	}
	mesh := S.Mesh(topic)
	if slices.Contains(mesh, X) {
		t.Error("the silent peer is still in the mesh")
	}
	if len(mesh) < p.Dlo {
		t.Errorf("mesh of %d after the prune, want ≥ Dlo=%d (the silent peer replaced)", len(mesh), p.Dlo)
	}
	replaced := false
	for _, q := range mesh {
		replaced = replaced || !slices.Contains(before, q)
	}
	if !replaced {
		t.Errorf("no new peer replaced the silent one: mesh %v, before %v", mesh, before)
	}
	ps, ok := snapshotOf(realScorer(S), nt.now, X)
	if !ok {
		t.Fatal("the silent peer is missing from the subject's Snapshot")
	}
	// P3b is only added at a prune while P3 was active and in deficit, so
	// P3b > 0 also says that P3 is what sank the peer.
	ts := topicScoreOf(t, ps, topic)
	if ts.InMesh || ts.Raw.P3b <= 0 || ts.Weighted.P3b >= 0 || ps.Score >= 0 {
		t.Errorf("after the prune: inMesh=%v P3b raw %v weighted %v, score %v; want out of mesh, P3b > 0 weighing < 0, score < 0",
			ts.InMesh, ts.Raw.P3b, ts.Weighted.P3b, ps.Score)
	}
	// The honest peers now in the mesh score ≥ 0.
	for _, q := range mesh {
		if s := realScorer(S).Score(q); s < 0 {
			t.Errorf("honest mesh peer %v scores %v", q, s)
		}
	}
}

// TestScoreBrokenPromises: a peer that advertises ids in IHAVE and never
// answers the IWANT earns a P7 penalty per broken promise once
// IWantFollowupTime has passed (EventBrokenPromise), sinks below
// GossipThreshold within a few heartbeats, and from then on its IHAVEs are
// dropped unanswered. A peer that keeps its promises is not penalised.
func TestScoreBrokenPromises(t *testing.T) {
	const (
		topic         = "t"
		liar, honest  = 1, 2
		maxHeartbeats = 20
	)
	sp := score.DefaultParams(topic)
	// Every broken promise counts and two (−30 × 2² = −120) are enough to
	// fall below GossipThreshold (−100).
	sp.BehaviourPenaltyWeight, sp.BehaviourPenaltyThreshold = -30, 0
	th := score.DefaultThresholds()
	p := DefaultParams()
	s := newEnv(t, func(c *Config) { c.Params = p; withScorer(t, sp, th)(c) })
	s.join(topic)
	s.addPeers(liar, honest, Inbound, topic)
	liarID := pid(liar)
	var (
		firstAsk, firstBroken time.Time
		broken                int
		seq                   uint64
	)
	for k := 0; k < maxHeartbeats && s.scorer().Score(liarID) >= th.GossipThreshold; k++ {
		seq++
		s.rpcFrom(liar, &rpc.RPC{IHave: []rpc.IHave{{Topic: topic, IDs: []string{msgID(seq)}}}})
		if len(s.iwantTo(liar)) != 1 {
			t.Fatalf("heartbeat %d: IHAVE from the liar (score %v) got IWANT %q, want one id", k, s.scorer().Score(liarID), s.iwantTo(liar))
		}
		if firstAsk.IsZero() {
			firstAsk = s.now
		}
		seq++
		s.rpcFrom(honest, &rpc.RPC{IHave: []rpc.IHave{{Topic: topic, IDs: []string{msgID(seq)}}}})
		if want := s.iwantTo(honest); len(want) != 1 {
			t.Fatalf("heartbeat %d: IHAVE from the honest peer got IWANT %q", k, want)
		}
		s.rpcFrom(honest, &rpc.RPC{Publish: []rpc.Message{{Topic: topic, Data: msg(topic, seq, 64).Data}}})
		out := s.heartbeat()
		if hasEvent(out.Events, EventBrokenPromise, pid(honest)) {
			t.Fatalf("heartbeat %d: the honest peer was charged a broken promise", k)
		}
		if hasEvent(out.Events, EventBrokenPromise, liarID) {
			broken++
			if firstBroken.IsZero() {
				firstBroken = s.now
			}
		}
	}
	if s.scorer().Score(liarID) >= th.GossipThreshold {
		t.Fatalf("after %d heartbeats the liar scores %v, want < GossipThreshold %v", maxHeartbeats, s.scorer().Score(liarID), th.GossipThreshold)
	}
	if firstBroken.IsZero() || firstBroken.Sub(firstAsk) < p.IWantFollowupTime {
		t.Errorf("first broken promise at +%v after the first IWANT, want ≥ IWantFollowupTime %v", firstBroken.Sub(firstAsk), p.IWantFollowupTime)
	}
	ps, _ := snapshotOf(s.scorer(), s.now, liarID)
	// The counter decays a little (it fades over 10 minutes) between
	// the penalties and now.
	if ps.P7 < 0.9*float64(broken*broken) || ps.W7 >= 0 {
		t.Errorf("liar's P7 %v (weighted %v) after %d broken promises, want ≈ %d and a negative weight", ps.P7, ps.W7, broken, broken*broken)
	}
	if hp, _ := snapshotOf(s.scorer(), s.now, pid(honest)); hp.P7 != 0 {
		t.Errorf("honest peer's P7 = %v, want 0", hp.P7)
	}
	// Below GossipThreshold: the liar's IHAVE is dropped, no IWANT, and
	// the drop is counted.
	drops := s.r.Stats().Drops[DropIHaveFlood]
	seq++
	s.rpcFrom(liar, &rpc.RPC{IHave: []rpc.IHave{{Topic: topic, IDs: []string{msgID(seq)}}}})
	if want := s.iwantTo(liar); len(want) != 0 {
		t.Errorf("IHAVE from the liar below GossipThreshold got IWANT %q", want)
	}
	if got := s.r.Stats().Drops[DropIHaveFlood]; got != drops+1 {
		t.Errorf("IHAVE drops %d → %d, want one more", drops, got)
	}
}

// TestScoreOpportunisticGraft: a mesh full of poor (but non-negative)
// peers, with better-scoring topic peers outside it (their P5 from
// AppSpecificScore), is lifted every OpportunisticGraftTicks heartbeats:
// OpportunisticGraftPeers peers scoring above the median are grafted and
// the median rises. A mesh whose median reaches OpportunisticGraftThreshold
// is left alone.
func TestScoreOpportunisticGraft(t *testing.T) {
	const topic = "t"
	// Peers 1..6 fill the mesh first; 7..10 score high; 11..14 score 0,
	// below the median, and must never be chosen.
	tests := []struct {
		name       string
		meshScore  float64 // P5 of the mesh peers 1..6
		wantGrafts int
	}{
		{"median below threshold", 1, 2},
		{"median at threshold", 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := score.DefaultParams(topic)
			// Scripted peers forward nothing: P3 and P3b off keep them at
			// their P5 (plus a little P1).
			sp.Topics[topic].MeshMessageDeliveriesWeight = 0
			sp.Topics[topic].MeshFailurePenaltyWeight = 0
			p5 := map[peer.ID]float64{}
			for i := 1; i <= 10; i++ {
				p5[pid(i)] = 20
				if i <= 6 {
					p5[pid(i)] = tc.meshScore
				}
			}
			sp.AppSpecificScore = func(id peer.ID) float64 { return p5[id] }
			th := score.DefaultThresholds() // OpportunisticGraftThreshold 5
			p := DefaultParams()
			s := newEnv(t, func(c *Config) { c.Params = p; withScorer(t, sp, th)(c) })
			s.addPeers(1, 6, Inbound, topic)
			s.join(topic)
			if got := len(s.r.Mesh(topic)); got != 6 {
				t.Fatalf("mesh of %d after join, want the 6 poor peers", got)
			}
			s.addPeers(7, 14, Inbound, topic)
			before := meshMedian(s.scorer(), s.r.Mesh(topic))
			var grafted []peer.ID
			for k := 1; k <= p.OpportunisticGraftTicks; k++ {
				for _, e := range s.heartbeat().Events {
					if e.Kind == EventGraft {
						if k != p.OpportunisticGraftTicks {
							t.Fatalf("graft of %v at heartbeat %d, before OpportunisticGraftTicks=%d", e.Peer, k, p.OpportunisticGraftTicks)
						}
						grafted = append(grafted, e.Peer)
					}
				}
			}
			if len(grafted) != tc.wantGrafts {
				t.Fatalf("%d opportunistic grafts, want %d", len(grafted), tc.wantGrafts)
			}
			for _, q := range grafted {
				if s.scorer().Score(q) <= before {
					t.Errorf("grafted %v scoring %v, not above the median %v", q, s.scorer().Score(q), before)
				}
				if !slices.Contains(s.r.Mesh(topic), q) {
					t.Errorf("grafted %v is not in the mesh", q)
				}
			}
			after := meshMedian(s.scorer(), s.r.Mesh(topic))
			if tc.wantGrafts > 0 && after <= before {
				t.Errorf("mesh median %v → %v, want it raised", before, after)
			}
		})
	}
}

// meshMedian is the median score of mesh (the upper middle for an even
// length, as GossipSub's opportunistic grafting takes it).
func meshMedian(sc *score.Scorer, mesh []peer.ID) float64 {
	s := make([]float64, 0, len(mesh))
	for _, q := range mesh {
		s = append(s, sc.Score(q))
	}
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// TestScoreGraftDuringBackoff: a GRAFT from a peer we are backing off
// from (it pruned us) costs it one P7 penalty in the real Scorer, two when
// it comes within GraftFloodThreshold of the PRUNE (GRAFT flooding); the
// GRAFT is answered with PRUNE. Once the backoff is over a GRAFT is
// accepted without penalty.
func TestScoreGraftDuringBackoff(t *testing.T) {
	const (
		topic = "t"
		q     = 1
	)
	p := DefaultParams() // PruneBackoff 1 min, GraftFloodThreshold 10 s
	tests := []struct {
		name      string
		wait      time.Duration // from the PRUNE to the GRAFT
		penalties int
	}{
		{"graft flood", 2 * time.Second, 2},
		{"graft during backoff", 20 * time.Second, 1},
		{"graft after backoff", p.PruneBackoff + 10*time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := score.DefaultParams(topic)
			sp.BehaviourPenaltyThreshold = 0 // P7 = penalties²
			s := newEnv(t, func(c *Config) { c.Params = p; withScorer(t, sp, score.DefaultThresholds())(c) })
			s.addPeers(q, q, Inbound, topic)
			s.join(topic)
			if !slices.Contains(s.r.Mesh(topic), pid(q)) {
				t.Fatal("the peer is not in the mesh after join")
			}
			s.rpcFrom(q, &rpc.RPC{Prune: []rpc.Prune{{Topic: topic, Backoff: uint64(p.PruneBackoff / time.Second)}}})
			prunedAt := s.now
			for s.now.Before(prunedAt.Add(tc.wait)) {
				s.heartbeat()
				if s.now.Before(prunedAt.Add(p.PruneBackoff)) && slices.Contains(s.r.Mesh(topic), pid(q)) {
					t.Fatalf("regrafted the peer %v after its PRUNE, during its backoff", s.now.Sub(prunedAt))
				}
			}
			s.rpcFrom(q, &rpc.RPC{Graft: []rpc.Graft{{Topic: topic}}})
			pruned := false
			for _, snd := range s.out.Sends {
				pruned = pruned || snd.To == pid(q) && len(snd.RPC.Prune) > 0
			}
			inMesh := slices.Contains(s.r.Mesh(topic), pid(q))
			if want := tc.penalties > 0; pruned != want || inMesh == want {
				t.Errorf("answered with PRUNE %v, in mesh %v; want PRUNE %v", pruned, inMesh, want)
			}
			ps, ok := snapshotOf(s.scorer(), s.now, pid(q))
			if !ok {
				t.Fatal("the peer is missing from the Snapshot")
			}
			want := float64(tc.penalties * tc.penalties)
			if ps.P7 < 0.99*want || ps.P7 > want {
				t.Errorf("P7 = %v, want %v (%d penalties)", ps.P7, want, tc.penalties)
			}
			if tc.penalties > 0 && ps.W7 >= 0 {
				t.Errorf("weighted P7 = %v, want < 0", ps.W7)
			}
		})
	}
}
