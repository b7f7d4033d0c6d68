package rpc

import (
	"fmt"
	"testing"
)

// typicalBatch is BENCH.md's batch: one 256 B message with from, seqno and
// topic, a GRAFT, an IHAVE of 10 ids of 40 B and an IDONTWANT of one id.
func typicalBatch() RPC {
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("%040d", i)
	}
	return RPC{
		Publish: []Message{{From: make([]byte, 32), Data: make([]byte, 256),
			Seqno: make([]byte, 8), Topic: "bench-topic"}},
		Graft:     []Graft{{Topic: "bench-topic"}},
		IHave:     []IHave{{Topic: "bench-topic", IDs: ids}},
		IDontWant: []IDontWant{{IDs: []string{ids[0]}}},
	}
}

func BenchmarkPack(b *testing.B) {
	r := typicalBatch()
	var out [][]byte
	b.ReportAllocs()
	for b.Loop() {
		out = Pack(out, &r, 1400)
	}
	if len(out) != 1 {
		b.Fatalf("%d payloads, want 1", len(out))
	}
	b.SetBytes(int64(len(out[0])))
}

func BenchmarkDecode(b *testing.B) {
	r := typicalBatch()
	out := Pack(nil, &r, 1400)
	var into RPC
	lim := DefaultLimits()
	b.ReportAllocs()
	b.SetBytes(int64(len(out[0])))
	for b.Loop() {
		if err := Decode(out[0], lim, &into); err != nil {
			b.Fatal(err)
		}
	}
}
