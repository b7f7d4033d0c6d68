package score

import (
	"testing"
	"time"
)

// TestChokeSuspendsP3: a mesh peer the router choked (it sends IHAVE, not
// messages) has no P3 deficit and adds no P3b when pruned; after Unchoke,
// P3 counts again once MeshMessageDeliveriesActivation has passed anew.
func TestChokeSuspendsP3(t *testing.T) {
	p := DefaultParams("t")
	p.Topics["t"].MeshMessageDeliveriesActivation = 5 * time.Second
	s := mustNew(t, p)
	a := pid(1)
	s.AddPeer(at(0), a, ip("10.0.0.1"))
	s.Join(at(0), "t")
	s.Graft(at(0), a, "t")
	raw := func(now time.Time) TopicComponents {
		for _, ps := range s.Snapshot(now) {
			if ps.Peer == a {
				return ps.Topics[0].Raw
			}
		}
		t.Fatal("peer unknown")
		return TopicComponents{}
	}
	refresh := func(d time.Duration) time.Time { s.Refresh(at(d)); return at(d) }

	if got := raw(refresh(6 * time.Second)).P3; got == 0 {
		t.Fatal("P3 inactive after activation: the test shows nothing")
	}
	s.Choke(at(6*time.Second), a, "t")
	if got := raw(refresh(7 * time.Second)).P3; got != 0 {
		t.Fatalf("choked: P3 = %v", got)
	}
	s.Unchoke(at(8*time.Second), a, "t")
	if got := raw(refresh(12 * time.Second)).P3; got != 0 {
		t.Fatalf("unchoked 4 s ago (activation 5 s): P3 = %v", got)
	}
	if got := raw(refresh(14 * time.Second)).P3; got == 0 {
		t.Fatal("unchoked 6 s ago: P3 should count again")
	}
	s.Choke(at(14*time.Second), a, "t")
	s.Prune(at(15*time.Second), a, "t")
	if got := raw(at(15 * time.Second)).P3b; got != 0 {
		t.Fatalf("pruned while choked: P3b = %v", got)
	}
}
