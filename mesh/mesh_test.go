package mesh

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

func pid(b byte) peer.ID { return peer.ID{b} }

var t0 = time.Unix(1_700_000_000, 0)

func TestPeerSetSortedAndUnique(t *testing.T) {
	var s PeerSet
	for _, b := range []byte{5, 1, 9, 1, 3} {
		s.Add(pid(b))
	}
	if !s.Remove(pid(9)) || s.Remove(pid(9)) {
		t.Fatal("Remove should report presence once")
	}
	want := []peer.ID{pid(1), pid(3), pid(5)}
	if !slices.Equal(s.Slice(), want) {
		t.Fatalf("got %v want %v", s.Slice(), want)
	}
	if !s.Has(pid(3)) || s.Has(pid(4)) {
		t.Fatal("Has wrong")
	}
}

func TestSeenTTLAndBound(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		adds    []string
		at      []time.Duration // add time of each
		expire  time.Duration   // Expire at t0+expire
		present []string
		absent  []string
	}{
		{"kept within ttl", 0, []string{"a", "b"}, []time.Duration{0, time.Second}, 2 * time.Minute, []string{"a", "b"}, nil},
		{"expired after ttl", 0, []string{"a", "b"}, []time.Duration{0, 5 * time.Second}, 2*time.Minute + time.Second, []string{"b"}, []string{"a"}},
		{"bounded evicts oldest bucket", 2, []string{"a", "b", "c"}, []time.Duration{0, time.Second, 2 * time.Second}, 0, []string{"b", "c"}, []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSeen(2*time.Minute, time.Second, tc.max, 7)
			for i, id := range tc.adds {
				if !s.Add(id, t0.Add(tc.at[i])) {
					t.Fatalf("Add(%q) reported present", id)
				}
			}
			s.Expire(t0.Add(tc.expire))
			for _, id := range tc.present {
				if !s.Has(id) || !s.HasBytes([]byte(id)) {
					t.Errorf("%q missing", id)
				}
			}
			for _, id := range tc.absent {
				if s.Has(id) {
					t.Errorf("%q present", id)
				}
			}
		})
	}
}

// The fingerprint forms are the string forms with the hash taken once:
// what one adds the other finds, bounds and expiry included; and the
// fingerprint is keyed.
func TestSeenFingerprint(t *testing.T) {
	s := NewSeen(2*time.Minute, time.Second, 2, 7)
	fp := func(id string) uint64 { return s.Fingerprint([]byte(id)) }
	s.AddNewFingerprint(fp("a"), t0)
	if !s.Has("a") || !s.HasBytes([]byte("a")) || !s.HasFingerprint(fp("a")) {
		t.Fatal("added by fingerprint, not found")
	}
	s.Add("b", t0.Add(time.Second))
	if !s.HasFingerprint(fp("b")) || s.HasFingerprint(fp("c")) {
		t.Fatal("HasFingerprint disagrees with Add")
	}
	s.AddNewFingerprint(fp("c"), t0.Add(2*time.Second)) // over the bound: a's bucket goes
	if s.Has("a") || !s.Has("b") || !s.Has("c") {
		t.Fatalf("bound: a %v b %v c %v, want false true true", s.Has("a"), s.Has("b"), s.Has("c"))
	}
	s.Expire(t0.Add(2*time.Minute + 2500*time.Millisecond))
	if s.HasFingerprint(fp("b")) || !s.HasFingerprint(fp("c")) {
		t.Fatal("expiry: b should be gone, c kept")
	}
	if other := NewSeen(time.Minute, time.Second, 0, 8); other.Fingerprint([]byte("a")) == fp("a") {
		t.Fatal("fingerprints of differently keyed sets agree")
	}
}

func TestSeenHasBytesDoesNotAllocate(t *testing.T) {
	s := NewSeen(time.Minute, time.Second, 0, 7)
	s.Add("hello", t0)
	b := []byte("hello")
	if n := testing.AllocsPerRun(100, func() { s.HasBytes(b) }); n != 0 {
		t.Fatalf("HasBytes allocates %v", n)
	}
}

func TestMessageCacheWindows(t *testing.T) {
	c := NewMessageCache(3, 2, 0)
	put := func(id, topic string) { c.Put(id, &rpc.Message{Topic: topic, Data: []byte(id)}) }
	put("a", "t")
	c.Shift()
	put("b", "t")
	put("x", "u")
	c.Shift()
	put("c", "t")
	if got := c.GossipIDs(nil, "t"); !slices.Equal(got, []string{"c", "b"}) {
		t.Fatalf("gossip ids %v", got)
	}
	if !c.Has("a") {
		t.Fatal("a should still be cached (history 3)")
	}
	c.Shift()
	if c.Has("a") || !c.Has("b") {
		t.Fatal("a should have left the cache, b not")
	}
	for want := 1; want <= 3; want++ {
		_, n, ok := c.GetForPeer("b", pid(1))
		if !ok || n != want {
			t.Fatalf("GetForPeer count %d ok %v, want %d", n, ok, want)
		}
	}
	if _, n, _ := c.GetForPeer("b", pid(2)); n != 1 {
		t.Fatalf("count for second peer %d", n)
	}
}

func TestMessageCacheRePut(t *testing.T) {
	c := NewMessageCache(2, 1, 0)
	c.Put("a", &rpc.Message{Data: []byte("1")})
	c.Shift()
	c.Put("a", &rpc.Message{Data: []byte("2")})
	c.Shift() // the first Put leaves; the second stays
	if m, ok := c.Get("a"); !ok || string(m.Data) != "2" {
		t.Fatalf("re-put entry lost: %v %v", m, ok)
	}
	c.Shift()
	if c.Has("a") || c.Len() != 0 || len(c.free) != len(c.slab) {
		t.Fatalf("slab not reclaimed: len %d free %d slab %d", c.Len(), len(c.free), len(c.slab))
	}
}

func TestBackoff(t *testing.T) {
	b := NewBackoff()
	b.Set("t", pid(1), t0, t0.Add(time.Minute))
	b.Set("t", pid(1), t0.Add(time.Second), t0.Add(time.Second)) // earlier end: kept
	if s, _ := b.Since("t", pid(1)); !s.Equal(t0.Add(time.Second)) {
		t.Fatalf("since %v", s)
	}
	if !b.Active("t", pid(1), t0.Add(59*time.Second)) || b.Active("t", pid(1), t0.Add(time.Minute)) {
		t.Fatal("Active wrong")
	}
	if b.Active("u", pid(1), t0) {
		t.Fatal("other topic active")
	}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{
		{59 * time.Second, true},
		{time.Minute, true}, // backoff over, slack not
		{time.Minute + 999*time.Millisecond, true},
		{time.Minute + time.Second, false},
	} {
		if got := b.Blocks("t", pid(1), t0.Add(tc.at), time.Second); got != tc.want {
			t.Fatalf("Blocks at +%v = %v, want %v", tc.at, got, tc.want)
		}
	}
	if b.Blocks("u", pid(1), t0, time.Second) {
		t.Fatal("other topic blocks")
	}
	b.Expire(t0.Add(time.Minute+time.Second), 2*time.Second)
	if b.Len() != 1 {
		t.Fatal("expired within slack")
	}
	b.Expire(t0.Add(time.Minute+2*time.Second), 2*time.Second)
	if b.Len() != 0 {
		t.Fatal("not expired after slack")
	}
}

func TestPromises(t *testing.T) {
	ps := NewPromises()
	ps.Add("m1", pid(2), t0.Add(3*time.Second))
	ps.Add("m1", pid(1), t0.Add(3*time.Second))
	ps.Add("m2", pid(1), t0.Add(3*time.Second))
	ps.Add("m3", pid(1), t0.Add(5*time.Second))
	ps.FulfillBytes([]byte("m2"))
	got := ps.Expire(t0.Add(3*time.Second), nil)
	want := []Broken{{pid(1), 1}, {pid(2), 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("broken %v want %v", got, want)
	}
	if ps.Len() != 1 {
		t.Fatalf("left %d", ps.Len())
	}
}

func TestDontWantBounded(t *testing.T) {
	var d DontWant
	d.Reset(2, 2)
	if !d.Add("a") || !d.Add("b") || d.Add("c") {
		t.Fatal("budget of 2 per heartbeat not applied")
	}
	d.Heartbeat()
	if !d.Has("a") || !d.Add("c") {
		t.Fatal("after one heartbeat a should remain and budget renew")
	}
	d.Heartbeat()
	if d.Has("a") || !d.Has("c") {
		t.Fatalf("ttl 2: a should be gone, c kept (len %d)", d.Len())
	}
}

// checkBest checks that the kept set holds the dscore best scores.
func checkBest(t *testing.T, name string, kept, all []Candidate, dscore int) {
	t.Helper()
	var ks, as []float64
	for _, c := range kept {
		ks = append(ks, c.Score)
	}
	for _, c := range all {
		as = append(as, c.Score)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ks)))
	sort.Sort(sort.Reverse(sort.Float64Slice(as)))
	if !slices.Equal(ks[:dscore], as[:dscore]) {
		t.Fatalf("%s: best %d not kept: %v of %v", name, dscore, ks, as)
	}
}

// TestSelectKeepOracle checks SelectKeep's result against the rules stated
// plainly: d kept, the dscore best among them, and enough outbound peers.
func TestSelectKeepOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		n := rng.IntN(20)
		d := rng.IntN(10)
		dscore := rng.IntN(d + 1)
		dout := rng.IntN(d/2 + 1)
		cands := make([]Candidate, n)
		outTotal := 0
		for i := range cands {
			cands[i] = Candidate{ID: pid(byte(i)), Score: float64(rng.IntN(5)), Outbound: rng.IntN(3) == 0}
			if cands[i].Outbound {
				outTotal++
			}
		}
		orig := slices.Clone(cands)
		k := SelectKeep(cands, d, dscore, dout, rng)
		name := fmt.Sprintf("iter %d n=%d d=%d dscore=%d dout=%d", iter, n, d, dscore, dout)
		if k != min(d, n) {
			t.Fatalf("%s: kept %d", name, k)
		}
		ids := func(cs []Candidate) []peer.ID {
			var r []peer.ID
			for _, c := range cs {
				r = append(r, c.ID)
			}
			slices.SortFunc(r, peer.ID.Compare)
			return r
		}
		if !slices.Equal(ids(cands), ids(orig)) {
			t.Fatalf("%s: not a permutation", name)
		}
		if k < n && dscore+dout <= d {
			checkBest(t, name, cands[:k], orig, dscore)
		}
		if k < n {
			// The dscore-th best score overall must be matched by the kept set.
			scores := make([]float64, n)
			for i, c := range orig {
				scores[i] = c.Score
			}
			sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
			kept := make([]float64, k)
			for i, c := range cands[:k] {
				kept[i] = c.Score
			}
			sort.Sort(sort.Reverse(sort.Float64Slice(kept)))
			// The outbound quota may displace up to dout of the best.
			for i := 0; i < dscore-dout; i++ {
				if kept[i] != scores[i] {
					t.Fatalf("%s: best %d scores not kept: %v vs %v", name, dscore, kept, scores)
				}
			}
			out := 0
			for _, c := range cands[:k] {
				if c.Outbound {
					out++
				}
			}
			if need := min(dout, outTotal); out < need {
				t.Fatalf("%s: %d outbound kept, want ≥ %d", name, out, need)
			}
		}
	}
}

func TestFingerprintSpreads(t *testing.T) {
	seen := map[uint64]string{}
	for i := 0; i < 200000; i++ {
		for _, id := range []string{fmt.Sprint(i), fmt.Sprintf("%040d", i)} {
			f := fingerprint(1, 2, id)
			if f != fingerprint(1, 2, []byte(id)) {
				t.Fatal("string and bytes differ")
			}
			if o, ok := seen[f]; ok {
				t.Fatalf("collision: %q %q", o, id)
			}
			seen[f] = id
		}
	}
	if fingerprint(1, 2, "abc") == fingerprint(3, 4, "abc") {
		t.Fatal("key ignored")
	}
	if fingerprint(1, 2, "a") == fingerprint(1, 2, "a\x00") {
		t.Fatal("length ignored")
	}
}
