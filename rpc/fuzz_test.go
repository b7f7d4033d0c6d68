package rpc

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gwyh/gwyh/pb"
	"google.golang.org/protobuf/proto"
)

// FuzzDecode checks that Decode never panics, that whatever it accepts
// proto.Unmarshal accepts with the same content (Decode is the stricter),
// and that it re-encodes to a payload that decodes to the same content.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 20 {
		r := randRPC(rng)
		for _, p := range Pack(nil, r, 1400) {
			f.Add(p)
		}
		if b, err := proto.Marshal(toPB(r)); err == nil {
			f.Add(b)
		}
	}
	tb := typicalBatch()
	f.Add(tb.Append(nil))
	f.Add([]byte{0x12, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0x1a, 0x03, 0x0b, 0x01, 0x00})
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
	lim := bigLimits()
	f.Fuzz(func(t *testing.T, payload []byte) {
		var r RPC
		if err := Decode(payload, lim, &r); err != nil {
			if !r.Empty() {
				t.Fatalf("into not reset after %v", err)
			}
			return
		}
		var x pb.RPC
		if err := proto.Unmarshal(payload, &x); err != nil {
			t.Fatalf("Decode accepts what proto.Unmarshal rejects: %v", err)
		}
		if a, b := dump(&r), dump(fromPB(&x)); a != b {
			t.Fatalf("Decode and proto.Unmarshal differ:\n%s\n%s", a, b)
		}
		again := r.Append(nil)
		if len(again) != r.Size() {
			t.Fatalf("Size %d, Append %d", r.Size(), len(again))
		}
		var r2 RPC
		if err := Decode(again, lim, &r2); err != nil {
			t.Fatalf("re-encoded payload fails: %v", err)
		}
		if a, b := dump(&r), dump(&r2); a != b {
			t.Fatalf("round trip differs:\n%s\n%s", a, b)
		}
		if !bytes.Equal(r2.Append(nil), again) {
			t.Fatalf("encoding not stable")
		}
	})
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
