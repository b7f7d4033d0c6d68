package rpc

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// flatIHave lists (topic, id) pairs in order; an entry without ids is one
// pair with a marker id, so that splitting is invisible and loss is not.
func flatIHave(es []IHave) []string {
	var o []string
	for _, e := range es {
		if len(e.IDs) == 0 {
			o = append(o, e.Topic+"\x00-")
		}
		for _, id := range e.IDs {
			o = append(o, e.Topic+"\x00+"+id)
		}
	}
	return o
}

// flatIDs lists the ids of IWANT or IDONTWANT entries in order, with a
// marker for an entry without ids.
func flatIDs(lists [][]string) []string {
	var o []string
	for _, ids := range lists {
		if len(ids) == 0 {
			o = append(o, "-")
		}
		for _, id := range ids {
			o = append(o, "+"+id)
		}
	}
	return o
}

// summary is an RPC's content with id lists flattened.
type summary struct {
	whole                 string // subscriptions, messages, grafts, prunes
	ihave, iwant, dontwnt []string
}

func summarize(parts []*RPC) summary {
	var m RPC
	var s summary
	for _, p := range parts {
		m.Subscriptions = append(m.Subscriptions, p.Subscriptions...)
		m.Publish = append(m.Publish, p.Publish...)
		m.Graft = append(m.Graft, p.Graft...)
		m.Prune = append(m.Prune, p.Prune...)
		m.Choke = append(m.Choke, p.Choke...)
		m.Unchoke = append(m.Unchoke, p.Unchoke...)
		s.ihave = append(s.ihave, flatIHave(p.IHave)...)
		for _, e := range p.IWant {
			s.iwant = append(s.iwant, flatIDs([][]string{e.IDs})...)
		}
		for _, e := range p.IDontWant {
			s.dontwnt = append(s.dontwnt, flatIDs([][]string{e.IDs})...)
		}
	}
	s.whole = dump(&m)
	return s
}

// checkReassembled fails unless parts together carry exactly r, in order.
func checkReassembled(t *testing.T, r *RPC, parts []*RPC) {
	t.Helper()
	got, want := summarize(parts), summarize([]*RPC{r})
	if got.whole != want.whole {
		t.Fatalf("parts differ:\n got %s\nwant %s", got.whole, want.whole)
	}
	for _, c := range []struct {
		kind      string
		got, want []string
	}{{"IHAVE", got.ihave, want.ihave}, {"IWANT", got.iwant, want.iwant}, {"IDONTWANT", got.dontwnt, want.dontwnt}} {
		if !slices.Equal(c.got, c.want) {
			t.Fatalf("%s ids differ:\n got %q\nwant %q", c.kind, c.got, c.want)
		}
	}
}

// items counts the indivisible parts of p: entries, and ids of id lists.
func items(p *RPC) int {
	n := len(p.Subscriptions) + len(p.Publish) + len(p.Graft) + len(p.Prune) + len(p.Choke) + len(p.Unchoke)
	for _, e := range p.IHave {
		n += max(1, len(e.IDs))
	}
	for _, e := range p.IWant {
		n += max(1, len(e.IDs))
	}
	for _, e := range p.IDontWant {
		n += max(1, len(e.IDs))
	}
	return n
}

// TestPackRoundTrip is the property test: over thousands of random batches
// and MTUs, every part comes back complete and in order, and a payload
// exceeds the MTU only when it holds one indivisible part alone.
func TestPackRoundTrip(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(7, 8))
	lim := bigLimits()
	var out [][]byte
	for i := range n {
		r := randRPC(rng)
		mtu := 1 + rng.IntN(1500)
		out = Pack(out, r, mtu)
		if r.Empty() != (len(out) == 0) {
			t.Fatalf("case %d: %d payloads for empty=%v", i, len(out), r.Empty())
		}
		parts := make([]*RPC, len(out))
		for j, p := range out {
			parts[j] = &RPC{}
			if err := Decode(p, lim, parts[j]); err != nil {
				t.Fatalf("case %d payload %d: %v", i, j, err)
			}
			if len(p) > mtu && items(parts[j]) != 1 {
				t.Fatalf("case %d payload %d: %d bytes > mtu %d with %d parts", i, j, len(p), mtu, items(parts[j]))
			}
			if parts[j].Empty() {
				t.Fatalf("case %d payload %d: empty", i, j)
			}
		}
		checkReassembled(t, r, parts)
	}
}

// TestPackLayout pins down the order and splitting rules on small cases.
func TestPackLayout(t *testing.T) {
	id := func(c byte) string { return strings.Repeat(string(c), 40) }
	big := Message{Topic: "t", Data: make([]byte, 2000)}
	small := Message{Topic: "t", Data: make([]byte, 100)}
	tests := []struct {
		name string
		r    RPC
		mtu  int
		want []string // dump of each payload
	}{
		{"empty", RPC{}, 1400, nil},
		{"graft rides with message", RPC{Publish: []Message{small}, Graft: []Graft{{"t"}}}, 1400,
			[]string{dump(&RPC{Publish: []Message{small}, Graft: []Graft{{"t"}}})}},
		{"oversized message alone", RPC{Publish: []Message{small, big, small}}, 1400,
			[]string{dump(&RPC{Publish: []Message{small}}), dump(&RPC{Publish: []Message{big}}), dump(&RPC{Publish: []Message{small}})}},
		{"split ihave repeats topic", RPC{IHave: []IHave{{Topic: "tp", IDs: []string{id('a'), id('b'), id('c')}}}}, 100,
			[]string{
				dump(&RPC{IHave: []IHave{{Topic: "tp", IDs: []string{id('a'), id('b')}}}}),
				dump(&RPC{IHave: []IHave{{Topic: "tp", IDs: []string{id('c')}}}}),
			}},
		{"order: subs, graft, prune, msgs, iwant, idontwant, ihave", RPC{
			Subscriptions: []SubOpts{{true, "a"}}, Publish: []Message{small},
			IHave: []IHave{{"t", []string{"h"}}}, IWant: []IWant{{[]string{"w"}}},
			Graft: []Graft{{"g"}}, Prune: []Prune{{Topic: "p"}}, IDontWant: []IDontWant{{[]string{"d"}}},
		}, 122, []string{
			dump(&RPC{Subscriptions: []SubOpts{{true, "a"}}, Graft: []Graft{{"g"}}, Prune: []Prune{{Topic: "p"}}}),
			dump(&RPC{Publish: []Message{small}, IWant: []IWant{{[]string{"w"}}}, IDontWant: []IDontWant{{[]string{"d"}}}}),
			dump(&RPC{IHave: []IHave{{"t", []string{"h"}}}}),
		}},
		{"id longer than mtu alone", RPC{IWant: []IWant{{[]string{"x", strings.Repeat("y", 300), "z"}}}}, 100,
			[]string{
				dump(&RPC{IWant: []IWant{{[]string{"x"}}}}),
				dump(&RPC{IWant: []IWant{{[]string{strings.Repeat("y", 300)}}}}),
				dump(&RPC{IWant: []IWant{{[]string{"z"}}}}),
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := Pack(nil, &tc.r, tc.mtu)
			var got []string
			for _, p := range out {
				var d RPC
				if err := Decode(p, Limits{MaxIDLen: 1024}, &d); err != nil {
					t.Fatal(err)
				}
				got = append(got, dump(&d))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
			again := Pack(nil, &tc.r, tc.mtu)
			for i := range out {
				if !bytes.Equal(out[i], again[i]) {
					t.Fatalf("payload %d not deterministic", i)
				}
			}
		})
	}
}

// TestPackReusesBuffers checks that a warm Pack does not allocate.
func TestPackReusesBuffers(t *testing.T) {
	r := typicalBatch()
	out := Pack(nil, &r, 1400)
	allocs := testing.AllocsPerRun(100, func() { out = Pack(out, &r, 1400) })
	if allocs != 0 {
		t.Fatalf("warm Pack: %v allocs, want 0", allocs)
	}
}

// FuzzPackRoundTrip packs a random batch drawn from the fuzzer's seed at a
// fuzzed MTU and checks that the payloads carry it back.
func FuzzPackRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint16(1400))
	f.Add(uint64(3), uint64(4), uint16(60))
	f.Add(uint64(5), uint64(6), uint16(0))
	lim := bigLimits()
	f.Fuzz(func(t *testing.T, s1, s2 uint64, mtu uint16) {
		r := randRPC(rand.New(rand.NewPCG(s1, s2)))
		out := Pack(nil, r, int(mtu))
		parts := make([]*RPC, len(out))
		for j, p := range out {
			parts[j] = &RPC{}
			if err := Decode(p, lim, parts[j]); err != nil {
				t.Fatalf("payload %d: %v", j, err)
			}
			if len(p) > int(mtu) && items(parts[j]) != 1 {
				t.Fatalf("payload %d: %d bytes > mtu %d with %d parts", j, len(p), mtu, items(parts[j]))
			}
		}
		checkReassembled(t, r, parts)
	})
}
