package mesh

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/rpc"
)

// body returns a message on topic with size data bytes, filled with b.
func body(topic string, size int, b byte) *rpc.Message {
	return &rpc.Message{Topic: topic, Data: bytes.Repeat([]byte{b}, size)}
}

func TestMessageCachePutCopiesBody(t *testing.T) {
	c := NewMessageCache(2, 1, 0)
	m := &rpc.Message{
		From: []byte("author"), Data: []byte("data"), Seqno: []byte("12345678"),
		Topic: "t", Signature: []byte("sig"), Key: []byte("key"),
	}
	want := rpc.Message{
		From: []byte("author"), Data: []byte("data"), Seqno: []byte("12345678"),
		Topic: "t", Signature: []byte("sig"), Key: []byte("key"),
	}
	got := c.Put("a", m)
	// The received payload is reused: the cache's copy must not change.
	for _, f := range [][]byte{m.From, m.Data, m.Seqno, m.Signature, m.Key} {
		for i := range f {
			f[i] = 'X'
		}
	}
	cached, ok := c.Get("a")
	if !ok {
		t.Fatal("a not cached")
	}
	for _, x := range []rpc.Message{got, cached} {
		if fmt.Sprint(x) != fmt.Sprint(want) {
			t.Fatalf("cached %q, want %q", x, want)
		}
	}
	// An append to one field must not write over the next one.
	_ = append(got.Data, "!!!!"...)
	if cached, _ := c.Get("a"); string(cached.Seqno) != "12345678" {
		t.Fatalf("append to Data overwrote Seqno: %q", cached.Seqno)
	}
	// Empty fields stay nil, as they were decoded.
	c.Put("b", &rpc.Message{Topic: "t", Data: []byte("x")})
	if b, _ := c.Get("b"); b.From != nil || b.Seqno != nil || b.Signature != nil || b.Key != nil {
		t.Fatalf("empty fields not nil: %+v", b)
	}
}

func TestMessageCacheBudget(t *testing.T) {
	const size = 100
	cost := 2 + size + EntryOverhead // id, body, overhead
	tests := []struct {
		name      string
		budget    int
		puts      int
		wantHeld  int // newest messages with their bodies
		wantIDs   int // ids known (held or evicted)
		gossip    int // newest messages advertised
		evictions uint64
	}{
		{"under budget", 20 * cost, 10, 10, 10, 10, 0},
		// Full: the newest 3/5 of the budget (12 bodies) are advertised.
		{"full", 20 * cost, 20, 20, 20, 12, 0},
		// 7 bodies and 4 evicted ids (2 + 128 bytes each, at most a
		// quarter of the budget): 7×230 + 4×130 ≤ 2,300 < 8×230 + 4×130;
		// the newest 6 bodies (3/5 of 2,300 B) are advertised.
		{"flood", 10 * cost, 100, 7, 11, 6, 93},
		{"unbounded", 0, 100, 100, 100, 100, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewMessageCache(5, 3, tc.budget)
			ids := make([]string, tc.puts)
			for i := range tc.puts {
				ids[i] = fmt.Sprintf("%02d", i)
				c.Put(ids[i], body("t", size, byte(i)))
				if tc.budget > 0 && c.Bytes() > tc.budget {
					t.Fatalf("put %d: %d bytes over the budget of %d", i, c.Bytes(), tc.budget)
				}
			}
			if c.EvictedTotal() != tc.evictions || c.Len() != tc.wantIDs {
				t.Fatalf("evicted %d, ids %d; want %d, %d", c.EvictedTotal(), c.Len(), tc.evictions, tc.wantIDs)
			}
			if got, want := c.GossipIDs(nil, "t"), ids[tc.puts-tc.gossip:]; !slices.Equal(got, want) {
				t.Fatalf("gossip %q, want the newest %q", got, want)
			}
			for i, id := range ids {
				isHeld := i >= tc.puts-tc.wantHeld
				m, n, ok := c.GetForPeer(id, pid(1))
				if ok != isHeld || (ok && (n != 1 || m.Data[0] != byte(i))) {
					t.Fatalf("%q: served %v (count %d), want %v", id, ok, n, isHeld)
				}
				known := i >= tc.puts-tc.wantIDs
				if c.Has(id) != known || c.Evicted(id) != (known && !isHeld) {
					t.Fatalf("%q: Has %v Evicted %v, want known %v held %v", id, c.Has(id), c.Evicted(id), known, isHeld)
				}
			}
		})
	}
}

func TestMessageCacheOversizedMessageNotKept(t *testing.T) {
	c := NewMessageCache(5, 3, 4096)
	c.Put("a", body("t", 100, 1))
	big := body("t", 5000, 2)
	if got := c.Put("b", big); &got.Data[0] != &big.Data[0] {
		t.Fatal("an oversized message was copied")
	}
	if c.Has("b") || c.Evicted("a") || c.EvictedTotal() != 1 {
		t.Fatalf("has b %v, evicted a %v, total %d: want only the oversized one gone", c.Has("b"), c.Evicted("a"), c.EvictedTotal())
	}
	if got := c.GossipIDs(nil, "t"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("gossip %q", got)
	}
}

func TestMessageCacheShiftForgetsEvicted(t *testing.T) {
	const held, bare = 1 + 200 + EntryOverhead, 1 + EntryOverhead
	c := NewMessageCache(2, 1, 1100) // 3 held; 2 evicted ids in a quarter
	c.Put("a", body("t", 200, 1))
	c.Shift()
	c.Put("b", body("t", 200, 2))
	c.Put("c", body("t", 200, 3))
	c.Put("d", body("t", 200, 4)) // evicts a's body, then b's
	if !c.Evicted("a") || !c.Evicted("b") || c.Evicted("c") || c.Bytes() != 2*bare+2*held {
		t.Fatalf("evicted a %v b %v c %v, bytes %d", c.Evicted("a"), c.Evicted("b"), c.Evicted("c"), c.Bytes())
	}
	c.Shift() // a's window leaves
	if c.Has("a") || c.Len() != 3 || c.Bytes() != bare+2*held {
		t.Fatalf("after shift: has a %v, len %d, bytes %d", c.Has("a"), c.Len(), c.Bytes())
	}
	c.Shift()
	if c.Len() != 0 || c.Bytes() != 0 || len(c.free) != len(c.slab) || len(c.ids.slots) != minSlots {
		t.Fatalf("not emptied: len %d bytes %d free %d slab %d index %d", c.Len(), c.Bytes(), len(c.free), len(c.slab), len(c.ids.slots))
	}
	for i, e := range c.slab {
		if e.served != nil || e.buf != nil {
			t.Fatalf("slot %d keeps %d served counts, %d body bytes", i, len(e.served), len(e.buf))
		}
	}
}

// naiveCache is the message cache written the obvious way, as an oracle:
// one list in Put order, each entry with its age in heartbeats.
type naiveCache struct {
	history, gossip, budget int
	list                    []*naiveEntry
	evicted                 uint64
}

type naiveEntry struct {
	id, topic string
	data      []byte
	held      bool
	age       int
}

func (n *naiveEntry) cost() int {
	c := len(n.id) + EntryOverhead
	if n.held {
		c += len(n.data)
	}
	return c
}

func (c *naiveCache) bytes() int {
	b := 0
	for _, e := range c.list {
		b += e.cost()
	}
	return b
}

func (c *naiveCache) find(id string) *naiveEntry {
	for _, e := range c.list {
		if e.id == id {
			return e
		}
	}
	return nil
}

// bareBytes is what the ids of evicted bodies cost.
func (c *naiveCache) bareBytes() int {
	b := 0
	for _, e := range c.list {
		if !e.held {
			b += e.cost()
		}
	}
	return b
}

func (c *naiveCache) put(id, topic string, data []byte) {
	c.list = slices.DeleteFunc(c.list, func(e *naiveEntry) bool { return e.id == id })
	e := &naiveEntry{id: id, topic: topic, data: data, held: true}
	if c.budget > 0 && e.cost() > c.budget {
		c.evicted++
		return
	}
	c.list = append(c.list, e)
	for c.budget > 0 && (c.bytes() > c.budget || c.bareBytes() > c.budget/4) {
		oldestBare := slices.IndexFunc(c.list, func(e *naiveEntry) bool { return !e.held })
		oldestHeld := slices.IndexFunc(c.list, func(e *naiveEntry) bool { return e.held })
		if c.bareBytes() > c.budget/4 || oldestHeld < 0 {
			c.list = slices.Delete(c.list, oldestBare, oldestBare+1)
		} else {
			c.list[oldestHeld].held = false
			c.evicted++
		}
	}
}

func (c *naiveCache) shift() {
	for _, e := range c.list {
		e.age++
	}
	c.list = slices.DeleteFunc(c.list, func(e *naiveEntry) bool { return e.age >= c.history })
}

// gossipIDs leaves out the oldest bodies beyond the newest
// gossip/history share of the budget.
func (c *naiveCache) gossipIDs(topic string) []string {
	skip := 0
	if c.budget > 0 {
		skip = c.bytes() - c.bareBytes() - c.budget*c.gossip/c.history
	}
	old := map[*naiveEntry]bool{}
	for _, e := range c.list {
		if skip > 0 && e.held {
			skip -= e.cost()
			old[e] = true
		}
	}
	var ids []string
	for age := range c.gossip {
		for _, e := range c.list {
			if e.age == age && e.held && !old[e] && e.topic == topic {
				ids = append(ids, e.id)
			}
		}
	}
	return ids
}

// TestMessageCacheAgainstNaive runs seeded random Puts (ids repeat, sizes
// vary, some over the budget) and Shifts on the cache and on naiveCache
// and compares everything observable after each step.
func TestMessageCacheAgainstNaive(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 1))
		history := 1 + rng.IntN(5)
		gossip := 1 + rng.IntN(history)
		budget := rng.IntN(8) * 300 // 0: unbounded
		c := NewMessageCache(history, gossip, budget)
		o := &naiveCache{history: history, gossip: gossip, budget: budget}
		for step := range 300 {
			var op string
			if rng.IntN(6) == 0 {
				op = "shift"
				c.Shift()
				o.shift()
			} else {
				id := fmt.Sprint(rng.IntN(40))
				topic := []string{"t", "u"}[rng.IntN(2)]
				data := bytes.Repeat([]byte{byte(step)}, rng.IntN(400))
				op = fmt.Sprintf("put %s %s %d", id, topic, len(data))
				c.Put(id, &rpc.Message{Topic: topic, Data: data})
				o.put(id, topic, data)
			}
			where := fmt.Sprintf("seed %d step %d (%s; history %d gossip %d budget %d)", seed, step, op, history, gossip, budget)
			if c.Bytes() != o.bytes() || c.Len() != len(o.list) || c.EvictedTotal() != o.evicted {
				t.Fatalf("%s: bytes %d len %d evicted %d, want %d %d %d", where,
					c.Bytes(), c.Len(), c.EvictedTotal(), o.bytes(), len(o.list), o.evicted)
			}
			for _, topic := range []string{"t", "u"} {
				if got, want := c.GossipIDs(nil, topic), o.gossipIDs(topic); !slices.Equal(got, want) {
					t.Fatalf("%s: gossip %s %q, want %q", where, topic, got, want)
				}
			}
			for k := range 40 {
				id := fmt.Sprint(k)
				e := o.find(id)
				m, ok := c.Get(id)
				if c.Has(id) != (e != nil) || ok != (e != nil && e.held) || c.Evicted(id) != (e != nil && !e.held) {
					t.Fatalf("%s: id %s has %v held %v evicted %v, oracle %+v", where, id, c.Has(id), ok, c.Evicted(id), e)
				}
				if ok && (!bytes.Equal(m.Data, e.data) || m.Topic != e.topic) {
					t.Fatalf("%s: id %s data differs", where, id)
				}
			}
		}
	}
}

// A CacheRef finds its Put while the entry holds its body, and nothing
// once the body is evicted, the id replaced or the entry shifted out and
// its slot reused.
func TestMessageCacheRef(t *testing.T) {
	const size = 100
	cost := 2 + size + EntryOverhead
	tests := []struct {
		name  string
		after func(c *MessageCache)
		found bool
	}{
		{"held", func(*MessageCache) {}, true},
		{"body evicted", func(c *MessageCache) {
			for i := range 3 {
				c.Put(fmt.Sprintf("b%d", i), body("t", size, 'b'))
			}
		}, false},
		{"id put again", func(c *MessageCache) { c.Put("a0", body("t", size, 'c')) }, false},
		{"shifted out, slot reused", func(c *MessageCache) {
			c.Shift()
			c.Shift()
			c.Put("z0", body("t", size, 'z'))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewMessageCache(2, 1, 3*cost)
			_, ref := c.PutRef("a0", body("t", size, 'a'))
			tt.after(c)
			id, m, ok := c.ByRef(ref)
			if ok != tt.found {
				t.Fatalf("found %v, want %v", ok, tt.found)
			}
			if ok && (id != "a0" || !bytes.Equal(m.Data, bytes.Repeat([]byte{'a'}, size))) {
				t.Fatalf("found %q %q, want a0 and its body", id, m.Data)
			}
		})
	}
	c := NewMessageCache(2, 1, cost-1)
	if _, ref := c.PutRef("a0", body("t", size, 'a')); func() bool { _, _, ok := c.ByRef(ref); return ok }() {
		t.Fatal("a message over the budget, not cached, is found by its ref")
	}
	if _, _, ok := c.ByRef(CacheRef{}); ok {
		t.Fatal("the zero ref of an empty cache finds something")
	}
}

// BenchmarkMessageCachePut is the router's steady state at a high rate:
// every Put of a 256-byte message evicts the oldest under the budget,
// and one Get in three looks an id up.
func BenchmarkMessageCachePut(b *testing.B) {
	const n = 1 << 14
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i*2654435761)
	}
	m := body("t", 256, 1)
	c := NewMessageCache(5, 3, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.PutRef(ids[i%n], m)
		if i%3 == 0 {
			c.Get(ids[(i+n-100)%n])
		}
		if i%2000 == 1999 {
			c.Shift()
		}
	}
}
