package router

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// The queries the peer manager and topic handles use: TopicPeers, InMesh,
// Stale.
func TestQueries(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 3, Inbound, "t")
	e.addPeers(4, 4, Inbound, "other")
	e.join("t")
	if got := e.indices(e.r.TopicPeers("t")); len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("TopicPeers(t) = %v, want 1 2 3", got)
	}
	if !e.r.InMesh(pid(1)) || e.r.InMesh(pid(4)) {
		t.Fatalf("InMesh: 1 %v (want true), 4 %v (want false)", e.r.InMesh(pid(1)), e.r.InMesh(pid(4)))
	}
	// Peer 2 prunes us with a backoff: it cannot be grafted in t, the only
	// joined topic it is in, until the backoff ends.
	e.rpcFrom(2, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 60}}})
	tests := []struct {
		peer  int
		at    time.Duration
		stale bool
	}{
		{1, 0, false},                // in the mesh
		{2, 0, true},                 // in backoff in t
		{4, 0, false},                // in no joined topic: nothing to graft it for
		{2, 61 * time.Second, false}, // the backoff is over
	}
	for _, tc := range tests {
		if got := e.r.Stale(pid(tc.peer), e.now.Add(tc.at)); got != tc.stale {
			t.Errorf("Stale(%d) at +%v = %v, want %v", tc.peer, tc.at, got, tc.stale)
		}
	}
}
