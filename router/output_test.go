package router

import "testing"

// Ready hands out each output once: a second call with no input in between
// returns nothing to act on again, or the caller would send and deliver
// twice.
func TestReadyDrainsOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 8, Inbound, "t")
	e.join("t")
	if _, err := e.r.Publish(e.now, "t", msg("t", 1, 8).Data); err != nil {
		t.Fatal(err)
	}
	first := e.r.Ready()
	if len(first.Sends) == 0 {
		t.Fatal("first Ready: no sends")
	}
	deadline := first.Deadline
	second := e.r.Ready()
	if n := len(second.Sends) + len(second.Deliveries) + len(second.Validations) + len(second.Events); n != 0 {
		t.Fatalf("second Ready with no input returned %d items again", n)
	}
	if !second.Deadline.Equal(deadline) {
		t.Fatalf("second Ready deadline %v, want %v", second.Deadline, deadline)
	}
	// Output accumulates across inputs until Ready.
	e.r.AddPeer(e.now, p(9), PeerOptions{})
	e.r.AddPeer(e.now, p(10), PeerOptions{})
	if out := e.r.Ready(); len(out.Sends) != 2 {
		t.Fatalf("two AddPeers before one Ready: %d sends, want 2 (one per new peer)", len(out.Sends))
	}
}
