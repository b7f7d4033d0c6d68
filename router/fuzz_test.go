package router

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// FuzzHandlePayload feeds arbitrary payloads from a peer to a router with
// a mesh, a validator and a scorer: nothing may panic, and per-peer state
// stays within its bounds.
func FuzzHandlePayload(f *testing.F) {
	seeds := []*rpc.RPC{
		{Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: "t"}, {Topic: "u"}}},
		pub(msg("t", 1, 2000)),
		{IHave: []rpc.IHave{ihave("t", "a", "b")}, IWant: []rpc.IWant{{IDs: []string{"a"}}}},
		{Graft: []rpc.Graft{{Topic: "t"}}, Prune: []rpc.Prune{{Topic: "t", Backoff: 1 << 62, Peers: []rpc.PeerInfo{{ID: pid(9).PublicKey()}}}}},
		{IDontWant: []rpc.IDontWant{{IDs: []string{"x", "y"}}}},
		{Choke: []rpc.Choke{{Topic: "t"}, {Topic: "u"}}, Unchoke: []rpc.Unchoke{{Topic: "t"}}},
	}
	for _, s := range seeds {
		f.Add(rpc.Pack(nil, s, 1<<20)[0])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		e := newEnv(&testing.T{}, func(c *Config) {
			withFakeScorer(c)
			c.MaxPeerTopics = 4
			c.Params.MaxIDontWantMessages = 8
			c.Params.Choke, c.Params.ChokeWindow, c.Params.ChokeMinRate = true, 2, 0 // engaged from the first message
		})
		e.addPeers(1, 8, Inbound, "t")
		e.join("t")
		e.r.SetValidator("t", TopicValidator{Async: true})
		for i := 0; i < 3; i++ {
			_ = e.r.HandlePayload(e.now, pid(1), payload)
			e.ready()
			e.tick(time.Second)
		}
		ps := e.r.peers[pid(1)]
		if ps.topics.len() > 4 || ps.dontWant.Len() > 8*4 {
			t.Fatalf("per-peer state unbounded: %d topics, %d idontwant", ps.topics.len(), ps.dontWant.Len())
		}
		if n := len(e.r.Mesh("t")); n > e.r.p.Dhi+1 {
			t.Fatalf("mesh of %d", n)
		}
		if tp := e.r.topics["t"]; tp != nil && tp.ch != nil {
			for _, set := range [][]peer.ID{tp.ch.choked.Slice(), tp.ch.chokedUs.Slice()} {
				for _, p := range set {
					if !tp.mesh.Has(p) {
						t.Fatalf("choke state for %v, not a mesh peer", p)
					}
				}
			}
			if len(tp.ch.chokedBy) != tp.ch.choked.Len() {
				t.Fatalf("%d choked peers, %d chokedBy entries", tp.ch.choked.Len(), len(tp.ch.chokedBy))
			}
			for _, p := range tp.ch.choked.Slice() {
				if tp.ch.chokedBy[p] == nil {
					t.Fatalf("choked %v without its chokedBy entry", p)
				}
			}
			if len(tp.ch.firsts.m) > chokeFirsts || len(tp.ch.firsts.ring) > chokeFirsts || len(tp.ch.obs) > tp.mesh.Len()+8 ||
				len(tp.ch.announced.m) > chokeFirsts || len(tp.ch.announced.ring) > chokeFirsts {
				t.Fatalf("choke memory: %d firsts, %d announcements, %d observed peers", len(tp.ch.firsts.m), len(tp.ch.announced.m), len(tp.ch.obs))
			}
		}
	})
}
