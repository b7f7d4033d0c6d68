package router

import (
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

var graftT = &rpc.RPC{Graft: []rpc.Graft{{Topic: "t"}}}

func TestHeartbeatGraftsBelowDlo(t *testing.T) {
	e := newJoinedEnv(t, nil, 2)
	e.addPeers(3, 10, Inbound, "t")
	if n := len(e.meshOf("t")); n != 2 {
		t.Fatalf("mesh %d before heartbeat", n)
	}
	e.heartbeats(1)
	if n := len(e.meshOf("t")); n != 6 {
		t.Fatalf("mesh %d after heartbeat, want D=6", n)
	}
}

// oversubscribed builds a mesh of 15: 12 inbound peers (1-12) grafted us,
// then 3 outbound ones (13-15), which may graft beyond Dhi.
func oversubscribed(t *testing.T, mod func(*Config)) *env {
	e := newEnv(t, mod)
	e.join("t")
	e.addPeers(1, 12, Inbound, "t")
	e.addPeers(13, 15, Outbound, "t")
	e.addPeers(16, 16, Inbound, "t")
	for i := 1; i <= 16; i++ {
		e.rpcFrom(i, graftT)
	}
	if got := e.meshOf("t"); len(got) != 15 || slices.Contains(got, 16) {
		t.Fatalf("mesh %v: want 1-15 (16 is inbound and came at Dhi)", got)
	}
	if s := e.sendTo(16); s == nil || len(s.Prune) != 1 {
		t.Fatal("inbound GRAFT at Dhi not answered with PRUNE")
	}
	return e
}

func TestHeartbeatPrunesAboveDhi(t *testing.T) {
	e := oversubscribed(t, withFakeScorer)
	for i := 1; i <= 4; i++ {
		e.sc.scores[pid(i)] = 10 // the Dscore best
	}
	e.heartbeats(1)
	mesh := e.meshOf("t")
	if len(mesh) != 6 {
		t.Fatalf("mesh %v, want D=6", mesh)
	}
	for i := 1; i <= 4; i++ {
		if !slices.Contains(mesh, i) {
			t.Fatalf("mesh %v lost best-scoring peer %d", mesh, i)
		}
	}
	if out := countIn(mesh, 13, 15); out < 2 {
		t.Fatalf("mesh %v keeps %d outbound peers, want ≥ Dout=2", mesh, out)
	}
	pruned := 0
	for i := 1; i <= 15; i++ {
		if s := e.sendTo(i); s != nil && len(s.Prune) == 1 {
			pruned++
			if pr := s.Prune[0]; pr.Backoff != 60 || len(pr.Peers) != 15 {
				t.Fatalf("prune to %d: backoff %d, %d PX peers (want 60, 15)", i, pr.Backoff, len(pr.Peers))
			}
		}
	}
	if pruned != 9 {
		t.Fatalf("%d peers pruned, want 9", pruned)
	}
}

func TestHeartbeatPrunesNegativeScore(t *testing.T) {
	e := newJoinedEnv(t, withFakeScorer, 6)
	e.sc.scores[pid(3)] = -1
	e.heartbeats(1)
	if slices.Contains(e.meshOf("t"), 3) {
		t.Fatal("negative peer kept")
	}
	s := e.sendTo(3)
	if s == nil || len(s.Prune) != 1 || len(s.Prune[0].Peers) != 0 {
		t.Fatalf("negative peer should get PRUNE without PX: %+v", s)
	}
	// Never grafted again while negative, even when the mesh is short.
	e.heartbeats(3)
	if slices.Contains(e.meshOf("t"), 3) {
		t.Fatal("negative peer regrafted")
	}
}

func TestHeartbeatFillsOutboundQuota(t *testing.T) {
	e := newJoinedEnv(t, nil, 6)
	e.addPeers(7, 9, Outbound, "t")
	e.heartbeats(1)
	mesh := e.meshOf("t")
	if out := countIn(mesh, 7, 9); out != 2 || len(mesh) != 8 {
		t.Fatalf("mesh %v: want the 6 inbound plus Dout=2 outbound", mesh)
	}
}

func TestFanoutExpiresAndTopsUp(t *testing.T) {
	e, fan := fanoutEnv(t, 8)
	for _, i := range fan {
		if s := e.sendTo(i); s == nil || len(s.Publish) != 1 {
			t.Fatalf("fan-out peer %d did not get the message", i)
		}
	}
	e.r.RemovePeer(e.now, pid(fan[0]))
	e.heartbeats(1)
	if n := len(e.r.Fanout("t")); n != 6 {
		t.Fatalf("fanout not topped up: %d", n)
	}
	e.heartbeats(59)
	if n := len(e.r.Fanout("t")); n != 0 {
		t.Fatalf("fanout of %d kept after FanoutTTL", n)
	}
}

func TestGossipTargets(t *testing.T) {
	tests := []struct {
		peers, want int
	}{
		{10, 4},  // 4 non-mesh peers, fewer than Dlazy: all
		{30, 6},  // 24 eligible: max(Dlazy=6, 0.25×24=6)
		{62, 14}, // 56 eligible: 0.25×56 = 14
	}
	for _, tc := range tests {
		e := newEnv(t, nil)
		e.addPeers(1, tc.peers, Inbound, "t")
		e.join("t")
		m := msg("t", 1, 8)
		e.rpcFrom(1, &rpc.RPC{Publish: []rpc.Message{m}})
		e.tick(time.Second)
		got := 0
		for _, s := range e.out.Sends {
			if len(s.RPC.IHave) == 1 && s.RPC.IHave[0].IDs[0] == msgID(1) {
				got++
				if slices.Contains(e.r.Mesh("t"), s.To) {
					t.Fatalf("IHAVE to a mesh peer")
				}
			}
		}
		if got != tc.want {
			t.Errorf("%d topic peers: IHAVE to %d peers, want %d", tc.peers, got, tc.want)
		}
	}
}

func TestGossipSkipsPeersBelowGossipThreshold(t *testing.T) {
	e := newJoinedEnv(t, withFakeScorer, 10)
	for i := 1; i <= 10; i++ {
		if !slices.Contains(e.meshOf("t"), i) {
			e.sc.scores[pid(i)] = -15 // below GossipThreshold (-10)
		}
	}
	e.rpcFrom(e.meshOf("t")[0], &rpc.RPC{Publish: []rpc.Message{msg("t", 1, 8)}})
	e.tick(time.Second)
	for _, s := range e.out.Sends {
		if len(s.RPC.IHave) > 0 {
			t.Fatalf("IHAVE sent to %v below GossipThreshold", e.indices([]peer.ID{s.To}))
		}
	}
}

func TestOpportunisticGraft(t *testing.T) {
	e := newJoinedEnv(t, withFakeScorer, 6)
	e.addPeers(7, 10, Inbound, "t")
	for i := 7; i <= 10; i++ {
		e.sc.scores[pid(i)] = 5 // above the mesh median of 0 < threshold 1
	}
	e.heartbeats(59)
	if n := len(e.meshOf("t")); n != 6 {
		t.Fatalf("mesh %d before the 60th heartbeat", n)
	}
	e.heartbeats(1)
	mesh := e.meshOf("t")
	if added := countIn(mesh, 7, 10); added != 2 {
		t.Fatalf("mesh %v: want OpportunisticGraftPeers=2 of 7-10 grafted", mesh)
	}
}

// countIn counts the peers of l in lo..hi.
func countIn(l []int, lo, hi int) int {
	n := 0
	for _, i := range l {
		if i >= lo && i <= hi {
			n++
		}
	}
	return n
}

// A GRAFT refused only because the mesh is at Dhi and the peer inbound is
// answered with FullMeshBackoff (PruneBackoff when 0), on both sides: the
// PRUNE says it, and the router itself waits as long before grafting the
// peer.
func TestFullMeshBackoff(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  time.Duration
		want time.Duration
	}{
		{"default: PruneBackoff", 0, time.Minute},
		{"shorter", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := oversubscribed(t, func(c *Config) { c.Params.FullMeshBackoff = tc.set })
			pr := e.sendTo(16).Prune[0]
			if got := time.Duration(pr.Backoff) * time.Second; got != tc.want {
				t.Fatalf("PRUNE backoff %v, want %v", got, tc.want)
			}
			if !e.r.backoff.Active("t", pid(16), e.now.Add(tc.want-time.Second)) || e.r.backoff.Active("t", pid(16), e.now.Add(tc.want+time.Second)) {
				t.Fatalf("own backoff not %v", tc.want)
			}
			// Any other refusal keeps PruneBackoff: a GRAFT during the
			// backoff is misbehaviour.
			e.rpcFrom(16, graftT)
			if pr := e.sendTo(16).Prune[0]; time.Duration(pr.Backoff)*time.Second != time.Minute {
				t.Fatalf("GRAFT in backoff answered with backoff %ds, want PruneBackoff", pr.Backoff)
			}
		})
	}
}
