package router

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

func TestIHaveLeadsToIWantForUnseen(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 2, Inbound, "t")
	e.join("t")
	e.rpcFrom(1, pub(msg("t", 1, 8)))
	e.rpcFrom(2, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(1), msgID(2), msgID(3)), ihave("unjoined", msgID(4))}})
	s := e.sendTo(2)
	if s == nil || len(s.IWant) != 1 {
		t.Fatalf("no IWANT: %s", e.summary())
	}
	got := slices.Sorted(slices.Values(s.IWant[0].IDs))
	if !slices.Equal(got, []string{msgID(2), msgID(3)}) {
		t.Fatalf("IWANT %q", got)
	}
}

func TestIHaveLimits(t *testing.T) {
	tests := []struct {
		name      string
		maxLen    int
		maxMsgs   int
		ihaves    int // IHAVE entries, 3 fresh ids each
		topics    int // spread over this many topics
		wantAsked int
	}{
		{"MaxIHaveMessages caps IHAVE messages (topics) per heartbeat", 5000, 2, 5, 5, 6},
		{"entries of one topic, split by the packer, are one message", 5000, 2, 5, 1, 15},
		{"MaxIHaveLength caps ids per heartbeat", 4, 10, 3, 1, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Params.MaxIHaveLength, c.Params.MaxIHaveMessages = tc.maxLen, tc.maxMsgs })
			topic := func(i int) string { return fmt.Sprint("t", i%tc.topics) }
			var names []string
			for i := 0; i < tc.topics; i++ {
				names = append(names, topic(i))
			}
			e.addPeers(1, 1, Inbound, names...)
			for _, n := range names {
				e.join(n)
			}
			m := &rpc.RPC{}
			for i := 0; i < tc.ihaves; i++ {
				m.IHave = append(m.IHave, ihave(topic(i), fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)))
			}
			e.rpcFrom(1, m)
			if got := len(e.sendTo(1).IWant[0].IDs); got != tc.wantAsked {
				t.Fatalf("asked %d ids, want %d", got, tc.wantAsked)
			}
			// The budget renews at the heartbeat.
			e.heartbeats(1)
			e.rpcFrom(1, &rpc.RPC{IHave: []rpc.IHave{ihave(topic(0), "fresh")}})
			if s := e.sendTo(1); s == nil || len(s.IWant) != 1 {
				t.Fatal("budget not renewed at heartbeat")
			}
		})
	}
}

func TestIHaveIgnoredBelowGossipThreshold(t *testing.T) {
	e := newEnv(t, withFakeScorer)
	e.addPeers(1, 1, Inbound, "t")
	e.join("t")
	e.sc.scores[pid(1)] = -11
	e.rpcFrom(1, &rpc.RPC{IHave: []rpc.IHave{ihave("t", "x")}, IWant: []rpc.IWant{{IDs: []string{"y"}}}})
	if len(e.out.Sends) != 0 {
		t.Fatalf("answered gossip from a peer below GossipThreshold: %s", e.summary())
	}
}

func TestBrokenPromisePenalised(t *testing.T) {
	e := newEnv(t, withFakeScorer)
	e.addPeers(1, 2, Inbound, "t")
	e.join("t")
	e.rpcFrom(1, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(1))}})
	e.rpcFrom(2, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(2))}})
	e.rpcFrom(2, pub(msg("t", 2, 8))) // peer 2 keeps its promise
	e.heartbeats(2)
	if len(e.sc.penalties) != 0 {
		t.Fatalf("penalised before IWantFollowupTime: %v", e.sc.penalties)
	}
	e.heartbeats(1)
	if e.sc.penalties[pid(1)] != 1 || e.sc.penalties[pid(2)] != 0 || e.countEvents(EventBrokenPromise) != 1 {
		t.Fatalf("penalties %v", e.sc.penalties)
	}
}

func TestIWantServedWithRetransmissionCap(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 2, Inbound, "t")
	e.join("t")
	e.rpcFrom(1, pub(msg("t", 1, 8)))
	iw := &rpc.RPC{IWant: []rpc.IWant{{IDs: []string{msgID(1), msgID(9)}}}}
	for i := 1; i <= 4; i++ {
		e.rpcFrom(2, iw)
		s := e.sendTo(2)
		served := s != nil && len(s.Publish) == 1
		if served != (i <= 3) {
			t.Fatalf("IWANT %d served %v; GossipRetransmission is 3", i, served)
		}
	}
	st := e.r.Stats()
	if st.Drops[DropIWantRetransmit] != 1 || st.Drops[DropIWantMiss] != 4 {
		t.Fatalf("drops %v", st.Drops)
	}
	// IDONTWANT is honoured when serving IWANT.
	e.addPeers(3, 3, Inbound, "t")
	e.rpcFrom(3, &rpc.RPC{IDontWant: []rpc.IDontWant{{IDs: []string{msgID(1)}}}, IWant: iw.IWant})
	if e.sendTo(3) != nil {
		t.Fatal("served a message the peer said it did not want")
	}
}

func TestGraftRules(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(e *env)
		graft     string
		inMesh    bool
		prune     bool
		penalty   int
		dropCause DropCause
	}{
		{name: "accepted", graft: "t", inMesh: true},
		{name: "unknown topic ignored", graft: "nope", dropCause: DropGraftUnknownTopic},
		{name: "during backoff: PRUNE and penalty", setup: func(e *env) {
			e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t"}}})
			e.now = e.now.Add(20 * time.Second)
		}, graft: "t", prune: true, penalty: 1},
		{name: "graft flood: double penalty", setup: func(e *env) {
			e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t"}}})
			e.now = e.now.Add(5 * time.Second)
		}, graft: "t", prune: true, penalty: 2},
		{name: "graft flood after a short remote backoff", setup: func(e *env) {
			e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 30}}})
			e.now = e.now.Add(5 * time.Second)
		}, graft: "t", prune: true, penalty: 2},
		{name: "negative score", setup: func(e *env) { e.sc.scores[pid(1)] = -1 }, graft: "t", prune: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withFakeScorer)
			e.join("t")
			e.addPeers(1, 1, Inbound, "t")
			if tc.setup != nil {
				tc.setup(e)
			}
			e.rpcFrom(1, &rpc.RPC{Graft: []rpc.Graft{{Topic: tc.graft}}})
			if got := slices.Contains(e.meshOf("t"), 1); got != tc.inMesh {
				t.Fatalf("in mesh %v, want %v", got, tc.inMesh)
			}
			s := e.sendTo(1)
			if got := s != nil && len(s.Prune) == 1; got != tc.prune {
				t.Fatalf("PRUNE sent %v, want %v", got, tc.prune)
			}
			if tc.prune && len(s.Prune[0].Peers) != 0 {
				t.Fatal("PX offered to a misbehaving peer")
			}
			if e.sc.penalties[pid(1)] != tc.penalty {
				t.Fatalf("penalty %d, want %d", e.sc.penalties[pid(1)], tc.penalty)
			}
			if tc.dropCause != DropNone && e.r.Stats().Drops[tc.dropCause] != 1 {
				t.Fatalf("drop %v not counted", tc.dropCause)
			}
			if tc.penalty > 0 {
				// The backoff was extended: a GRAFT just after the original
				// backoff would have ended is still refused.
				e.now = e.now.Add(50 * time.Second)
				e.rpcFrom(1, &rpc.RPC{Graft: []rpc.Graft{{Topic: "t"}}})
				if slices.Contains(e.meshOf("t"), 1) {
					t.Fatal("backoff not extended")
				}
			}
		})
	}
}

func TestPruneAppliesBackoffAndPX(t *testing.T) {
	e := newEnv(t, withFakeScorer)
	e.addPeers(1, 1, Inbound, "t")
	e.join("t")
	e.sc.scores[pid(1)] = 10 // ≥ AcceptPXThreshold (5)
	px := []rpc.PeerInfo{{ID: pid(50).PublicKey(), Record: []byte("r50")}, {ID: []byte("short")}, {ID: pid(1).PublicKey()}}
	e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 30, Peers: px}}})
	if len(e.meshOf("t")) != 0 || e.countEvents(EventPrune) != 1 {
		t.Fatal("PRUNE did not remove the peer")
	}
	var got []PXPeer
	for _, ev := range e.out.Events {
		if ev.Kind == EventPeerExchange {
			got = ev.PX
		}
	}
	if len(got) != 1 || got[0].ID != pid(50) || string(got[0].Record) != "r50" {
		t.Fatalf("PX event %+v: want only peer 50 (bad id and connected peer skipped)", got)
	}
	if e.r.Stats().Drops[DropBadPX] != 1 {
		t.Fatal("bad PX id not counted")
	}
	e.now = e.now.Add(28 * time.Second)
	e.heartbeats(1)
	if len(e.meshOf("t")) != 0 {
		t.Fatal("regrafted within the PRUNE's backoff")
	}
	e.now = e.now.Add(2 * time.Second)
	e.heartbeats(1)
	if len(e.meshOf("t")) != 1 {
		t.Fatal("not regrafted after the backoff")
	}
}

func TestPXIgnoredBelowAcceptPXThreshold(t *testing.T) {
	e := newEnv(t, withFakeScorer)
	e.addPeers(1, 1, Inbound, "t")
	e.join("t")
	e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Peers: []rpc.PeerInfo{{ID: pid(50).PublicKey()}}}}})
	if e.countEvents(EventPeerExchange) != 0 {
		t.Fatal("PX accepted from a peer scoring below AcceptPXThreshold")
	}
}

func TestDirectPeers(t *testing.T) {
	e := newEnv(t, nil)
	e.r.AddPeer(e.now, pid(1), PeerOptions{Direct: true})
	e.rpcFrom(1, &rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: "t"}}})
	e.addPeers(2, 8, Inbound, "t")
	e.join("t")
	e.heartbeats(2)
	if slices.Contains(e.meshOf("t"), 1) {
		t.Fatal("direct peer grafted")
	}
	e.rpcFrom(1, &rpc.RPC{Graft: []rpc.Graft{{Topic: "t"}}})
	if s := e.sendTo(1); s == nil || len(s.Prune) != 1 || slices.Contains(e.meshOf("t"), 1) {
		t.Fatal("GRAFT from a direct peer not answered with PRUNE")
	}
	e.rpcFrom(e.meshOf("t")[0], pub(msg("t", 1, 8)))
	if s := e.sendTo(1); s == nil || len(s.Publish) != 1 {
		t.Fatal("direct peer did not get the message")
	}
}
