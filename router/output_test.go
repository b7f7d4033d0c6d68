package router

import (
	"testing"

	"github.com/gwyh/gwyh/rpc"
)

// Ready hands out each output once: a second call with no input in between
// returns nothing to act on again, or the caller would send and deliver
// twice.
func TestReadyDrainsOnce(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
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
	e.r.AddPeer(e.now, pid(9), PeerOptions{})
	e.r.AddPeer(e.now, pid(10), PeerOptions{})
	if out := e.r.Ready(); len(out.Sends) != 2 {
		t.Fatalf("two AddPeers before one Ready: %d sends, want 2 (one per new peer)", len(out.Sends))
	}
}

// The Output of Ready stays valid, unchanged, until Advance, even when the
// owner makes inputs while acting on it; what those inputs produce is the
// next Output. HasReady says whether there is one.
func TestOutputValidUntilAdvance(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
	e.r.Ready()
	e.r.Advance()
	if e.r.HasReady() {
		t.Fatal("HasReady after Advance with no input")
	}
	if _, err := e.r.Publish(e.now, "t", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if !e.r.HasReady() {
		t.Fatal("no HasReady after Publish")
	}
	out := e.r.Ready()
	sends, first := len(out.Sends), out.Sends[0].To
	data := string(out.Sends[0].RPC.Publish[0].Data)
	// Inputs while acting: another publish and a peer leaving.
	if _, err := e.r.Publish(e.now, "t", []byte("two")); err != nil {
		t.Fatal(err)
	}
	e.r.RemovePeer(e.now, first)
	if len(out.Sends) != sends || out.Sends[0].To != first || string(out.Sends[0].RPC.Publish[0].Data) != data {
		t.Fatalf("Output changed by inputs before Advance: %d sends to %v carrying %q", len(out.Sends), out.Sends[0].To, out.Sends[0].RPC.Publish[0].Data)
	}
	if !e.r.HasReady() {
		t.Fatal("the second publish's output is not ready")
	}
	e.r.Advance()
	next := e.r.Ready()
	if len(next.Sends) == 0 || string(next.Sends[0].RPC.Publish[0].Data) != "two" {
		t.Fatalf("next Output: %d sends, want the second publish", len(next.Sends))
	}
	e.r.Advance()
	if e.r.HasReady() {
		t.Fatal("HasReady after draining both")
	}
}

// A local Publish is marked in the Output: Published says how many peers
// its first copies went to and the Sends carrying it are Own; forwarded
// messages are not.
func TestPublishMarkedInOutput(t *testing.T) {
	tests := []struct {
		name      string
		peers     int
		wantPeers int
	}{
		{"no peers", 0, 0},
		{"mesh of 6 from 8 (flood publish reaches all)", 8, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tc.peers > 0 {
				e.addPeers(1, tc.peers, Inbound, "t")
			}
			e.join("t")
			e.ready()
			id, err := e.r.Publish(e.now, "t", []byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			out := e.ready()
			if len(out.Published) != 1 || out.Published[0].ID != id || out.Published[0].Peers != tc.wantPeers {
				t.Fatalf("Published = %+v, want one entry for %q with %d peers", out.Published, id, tc.wantPeers)
			}
			own := 0
			for _, s := range out.Sends {
				if s.Own {
					own++
				}
			}
			if own != tc.wantPeers {
				t.Fatalf("%d Own sends, want %d", own, tc.wantPeers)
			}
			if tc.peers == 0 {
				return
			}
			// A message from a peer is forwarded, not Own.
			out = e.rpcFrom(1, &rpc.RPC{Publish: []rpc.Message{msg("t", 1, 99)}})
			for _, s := range out.Sends {
				if s.Own || len(out.Published) != 0 {
					t.Fatalf("forwarded message marked as own: %+v", out.Published)
				}
			}
		})
	}
}

// Advance leaves nothing of an Output alive in the memory the router keeps
// for the next ones: a message body the cache evicts must be freed, not
// pinned by a Send of an earlier round (recycle).
func TestAdvanceKeepsNoMessage(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
	e.heartbeat()
	e.r.Advance()
	for i := range 3 {
		if _, err := e.r.Publish(e.now, "t", msg("t", uint64(i+1), 16).Data); err != nil {
			t.Fatal(err)
		}
	}
	out := e.r.Ready()
	carried := 0
	for _, s := range out.Sends {
		carried += len(s.RPC.Publish)
	}
	if carried == 0 {
		t.Fatal("the publishes sent nothing")
	}
	e.r.Advance()
	for i, s := range out.Sends[:cap(out.Sends)] {
		for j, m := range s.RPC.Publish[:cap(s.RPC.Publish)] {
			if m.Data != nil || m.From != nil || m.Seqno != nil || m.Topic != "" {
				t.Fatalf("send %d keeps message %d (%q) after Advance", i, j, m.Data)
			}
		}
		for j, ih := range s.RPC.IHave[:cap(s.RPC.IHave)] {
			for _, id := range ih.IDs[:cap(ih.IDs)] {
				if id != "" || ih.Topic != "" {
					t.Fatalf("send %d keeps IHAVE %d (%q) after Advance", i, j, id)
				}
			}
		}
	}
}

// A burst grows an Output's lists; recycle lets them go once a round uses
// little of them, so a router quiet after a burst does not keep them.
func TestRecycleLetsBurstListsGo(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
	e.heartbeat()
	e.r.Advance()
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := e.r.Publish(e.now, "t", msg("t", uint64(i), 16).Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each round's Output is one of two the router alternates; two bursts
	// grow both, two quiet rounds shrink both.
	n := 4*keptEntries + 100
	publish(1, 1+n)
	burst := e.r.Ready()
	e.r.Advance()
	publish(1+n, 1+2*n)
	e.r.Ready()
	e.r.Advance()
	grown := 0
	for _, s := range burst.Sends[:cap(burst.Sends)] {
		grown = max(grown, cap(s.RPC.Publish))
	}
	if grown < 4*keptEntries {
		t.Fatalf("the burst grew a Send to %d messages only", grown)
	}
	for i := range 2 {
		publish(1+2*n+i, 2+2*n+i)
		e.r.Ready()
		e.r.Advance()
	}
	for _, out := range []*Output{&e.r.out, &e.r.ready} {
		for i, s := range out.Sends[:cap(out.Sends)] {
			if c := cap(s.RPC.Publish); c > keptEntries {
				t.Fatalf("send %d keeps room for %d messages after quiet rounds", i, c)
			}
		}
		if c := cap(out.Deliveries); c > keptEntries {
			t.Fatalf("deliveries keep room for %d", c)
		}
	}
}
