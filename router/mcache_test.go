package router

import (
	"slices"
	"testing"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/rpc"
)

// msgCost is what the message cache charges for msg(_, seq, size) under
// cheapID: the 8-byte id, the data and the bookkeeping.
func msgCost(size int) int { return 8 + size + mesh.EntryOverhead }

// cacheEnv returns a joined env with 10 peers whose message cache holds
// budget bytes, and the index of a mesh peer and of a non-mesh one.
func cacheEnv(t *testing.T, budget int) (e *env, meshPeer, outside int) {
	e = newJoinedEnv(t, func(c *Config) { c.Params.MessageCacheBytes = budget }, 10)
	mesh := e.meshOf("t")
	for i := 1; i <= 10; i++ {
		if !slices.Contains(mesh, i) {
			return e, mesh[0], i
		}
	}
	t.Fatal("every peer is in the mesh")
	return
}

// receive makes the router receive messages from..to (256 B) from peer p.
func (e *env) receive(p int, from, to uint64) {
	for seq := from; seq <= to; seq++ {
		e.rpcFrom(p, pub(msg("t", seq, 256)))
	}
}

// advertised returns the ids of the IHAVE the last output sends peer i.
func (e *env) advertised(i int) []string {
	var ids []string
	if s := e.sendTo(i); s != nil {
		for _, h := range s.IHave {
			ids = append(ids, h.IDs...)
		}
	}
	return ids
}

func TestMessageCacheBudgetUnderFlood(t *testing.T) {
	budget := 10 * msgCost(256)
	e, from, _ := cacheEnv(t, budget)
	for seq := uint64(1); seq <= 200; seq++ {
		e.receive(from, seq, seq)
		if got := e.r.mcache.Bytes(); got > budget {
			t.Fatalf("message %d: cache holds %d bytes, budget %d", seq, got, budget)
		}
		if seq%20 == 0 {
			e.heartbeat()
		}
	}
	// Every message was delivered and forwarded although most bodies left.
	if st := e.r.Stats(); st.Delivered != 200 || st.CacheEvicted < 150 {
		t.Fatalf("delivered %d, evicted %d", st.Delivered, st.CacheEvicted)
	}
}

// TestIHaveAdvertisesOnlyHeldBodies: of 30 messages in a budget of 10,
// the cache holds the bodies of 24..30 and the ids of 20..23; IHAVE
// advertises the bodies in the newest 3/5 (HistoryGossip/HistoryLength)
// of the budget, 25..30, so that 24, next to go, is not promised.
func TestIHaveAdvertisesOnlyHeldBodies(t *testing.T) {
	e, from, outside := cacheEnv(t, 10*msgCost(256))
	e.receive(from, 1, 30)
	for seq := uint64(20); seq <= 30; seq++ {
		if _, held := e.r.mcache.Get(msgID(seq)); held != (seq >= 24) || !e.r.mcache.Has(msgID(seq)) {
			t.Fatalf("message %d: held %v", seq, held)
		}
	}
	e.heartbeat()
	var want []string
	for seq := uint64(25); seq <= 30; seq++ {
		want = append(want, msgID(seq))
	}
	if got := e.advertised(outside); !slices.Equal(got, want) {
		t.Fatalf("IHAVE %s, want %s", seqs(got), seqs(want))
	}
}

func TestIWantForEvictedCountedNotAnswered(t *testing.T) {
	e, from, outside := cacheEnv(t, 10*msgCost(256))
	e.receive(from, 1, 30)
	tests := []struct {
		name     string
		seq      uint64
		answered bool
		cause    DropCause
	}{
		{"held", 30, true, DropNone},
		{"evicted", 22, false, DropIWantEvicted}, // 24..30 held, 20..23 evicted ids
		{"forgotten", 2, false, DropIWantMiss},
		{"unknown", 99, false, DropIWantMiss},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.r.Stats().Drops
			e.rpcFrom(outside, &rpc.RPC{IWant: []rpc.IWant{{IDs: []string{msgID(tc.seq)}}}})
			s := e.sendTo(outside)
			if answered := s != nil && len(s.Publish) == 1; answered != tc.answered {
				t.Fatalf("answered %v, want %v", answered, tc.answered)
			}
			after := e.r.Stats().Drops
			for c := range after {
				want := before[c]
				if DropCause(c) == tc.cause && tc.cause != DropNone {
					want++
				}
				if after[c] != want {
					t.Fatalf("drop %v: %d, want %d", DropCause(c), after[c], want)
				}
			}
		})
	}
}

// TestMessageCacheDefaultUnderBudget: under the default budget nothing is
// evicted; every message of the gossip windows is advertised and served.
func TestMessageCacheDefaultUnderBudget(t *testing.T) {
	e, from, outside := cacheEnv(t, DefaultParams().MessageCacheBytes)
	e.receive(from, 1, 1000)
	e.heartbeat()
	if got := e.advertised(outside); len(got) != 1000 {
		t.Fatalf("IHAVE of %d ids, want 1000", len(got))
	}
	var all []string
	for seq := uint64(1); seq <= 1000; seq++ {
		all = append(all, msgID(seq))
	}
	e.rpcFrom(outside, &rpc.RPC{IWant: []rpc.IWant{{IDs: all}}})
	if s := e.sendTo(outside); s == nil || len(s.Publish) != 1000 {
		t.Fatal("IWANT not answered in full")
	}
	if st := e.r.Stats(); st.CacheEvicted != 0 || st.Drops[DropIWantMiss]+st.Drops[DropIWantEvicted] != 0 {
		t.Fatalf("evicted %d, IWANT drops %d", st.CacheEvicted, st.Drops[DropIWantMiss]+st.Drops[DropIWantEvicted])
	}
}

// TestAcceptedMessageDoesNotAliasPayload: what the router delivers,
// forwards and caches is its own copy, so the received payload (here the
// decoded message's buffers) can be reused or freed at once.
func TestAcceptedMessageDoesNotAliasPayload(t *testing.T) {
	e, from, outside := cacheEnv(t, DefaultParams().MessageCacheBytes)
	m := msg("t", 1, 256)
	e.r.HandleRPC(e.now, pid(from), pub(m))
	m.Data[100] = 0xff // the payload buffer, reused
	out := e.ready()
	if len(out.Deliveries) != 1 || out.Deliveries[0].Msg.Data[100] != 0 {
		t.Fatal("the delivery aliases the received payload")
	}
	for _, s := range out.Sends {
		for _, p := range s.RPC.Publish {
			if p.Data[100] != 0 {
				t.Fatal("the forwarded copy aliases the received payload")
			}
		}
	}
	e.rpcFrom(outside, &rpc.RPC{IWant: []rpc.IWant{{IDs: []string{msgID(1)}}}})
	if s := e.sendTo(outside); s == nil || len(s.Publish) != 1 || s.Publish[0].Data[100] != 0 {
		t.Fatal("the cached copy aliases the received payload")
	}
}
