package router_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// The score package's Scorer is the router's Scorer.
var _ router.Scorer = (*score.Scorer)(nil)

// meshParams returns router params with a small, rigid mesh (D = Dlo =
// Dhi = 3, Dout = 1) so that a pruned mesh peer must be replaced at once.
func meshParams() router.Params {
	p := router.DefaultParams()
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
	sp := score.ExampleParams(topic)
	sp.Topics[topic].MeshMessageDeliveriesActivation = activation
	p := meshParams()
	// The subject refuses inbound GRAFTs beyond Dhi with a PRUNE and
	// backs off from those peers: a short backoff leaves replacements
	// available by the time P3 is active.
	p.PruneBackoff = 5 * time.Second
	nt := newSiNet(t, 7, p, sp, score.ExampleThresholds(), func(i int, c *router.Config) {
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
		nt.publish(1+k%5, topic, uint64(k))
		before = S.Mesh(topic)
		evs := nt.step(200*time.Millisecond, subject)
		in := slices.Contains(S.Mesh(topic), X)
		switch {
		case graftedAt.IsZero() && in:
			graftedAt = nt.now
		case graftedAt.IsZero():
		case hasEvent(evs, router.EventPrune, X):
			prunedAt = nt.now
		case !in:
			t.Fatalf("at +%v the silent peer left the mesh without a heartbeat prune", nt.now.Sub(graftedAt))
		}
	}
	if graftedAt.IsZero() {
		t.Fatal("the silent peer never entered the subject's mesh (change the seed)")
	}
	if prunedAt.IsZero() {
		t.Fatal("the silent mesh peer was never pruned")
	}
	t.Logf("grafted at +%v, pruned at +%v", graftedAt.Sub(siT0), prunedAt.Sub(siT0))
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
	ps, ok := snapshotOf(nt.scs[subject], nt.now, X)
	if !ok {
		t.Fatal("the silent peer is missing from the subject's Snapshot")
	}
	ts := topicScoreOf(t, ps, topic)
	if ts.InMesh || ts.Raw.P3b <= 0 || ts.Weighted.P3b >= 0 || ps.Score >= 0 {
		t.Errorf("after the prune: inMesh=%v P3b raw %v weighted %v, score %v; want out of mesh, P3b > 0 weighing < 0, score < 0",
			ts.InMesh, ts.Raw.P3b, ts.Weighted.P3b, ps.Score)
	}
	// Honest mesh peers kept a non-negative score all along.
	for _, q := range mesh {
		if s := nt.scs[subject].Score(q); s < 0 {
			t.Errorf("honest mesh peer %v scores %v", q, s)
		}
	}
}
