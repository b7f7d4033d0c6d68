package rpc

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gwyh/gwyh/pb"
	"google.golang.org/protobuf/proto"
)

// TestAppendMatchesProtoMarshal checks that Append writes the very bytes of
// protobuf-go's deterministic Marshal, and that Size is exact.
func TestAppendMatchesProtoMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		r := randRPC(rng)
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(toPB(r))
		if err != nil {
			t.Fatal(err)
		}
		got := r.Append(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: Append differs from proto.Marshal\n got %x\nwant %x\n%s", i, got, want, dump(r))
		}
		if r.Size() != len(got) {
			t.Fatalf("case %d: Size %d, encoded %d", i, r.Size(), len(got))
		}
	}
}

// TestDecodeProtoMarshalled decodes pb-marshalled RPCs with Decode.
func TestDecodeProtoMarshalled(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lim := bigLimits()
	var got RPC
	for i := range 500 {
		r := randRPC(rng)
		b, err := proto.Marshal(toPB(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := Decode(b, lim, &got); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if g, w := dump(&got), dump(r); g != w {
			t.Fatalf("case %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// TestPackPayloadsUnmarshal checks that every Pack payload is a valid RPC
// for proto.Unmarshal, and that together they carry the batch.
func TestPackPayloadsUnmarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var out [][]byte
	for i := range 300 {
		r := randRPC(rng)
		mtu := 100 + rng.IntN(1400)
		out = Pack(out, r, mtu)
		parts := make([]*RPC, len(out))
		for j, p := range out {
			var x pb.RPC
			if err := proto.Unmarshal(p, &x); err != nil {
				t.Fatalf("case %d payload %d: %v", i, j, err)
			}
			parts[j] = fromPB(&x)
		}
		checkReassembled(t, r, parts)
	}
}

// bigLimits allows everything randRPC makes.
func bigLimits() Limits {
	l := DefaultLimits()
	l.MaxIDLen = 1 << 10
	l.MaxTopicLen = 1 << 10
	return l
}

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
	f.Add(AppendHello(nil, Hello{SignaturePolicy: 1, HasSignaturePolicy: true})) // skipped as unknown
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
	lim := bigLimits()
	var reused RPC // across inputs: Forget must leave it holding nothing
	f.Fuzz(func(t *testing.T, payload []byte) {
		_ = Decode(payload, lim, &reused)
		reused.Forget()
		if h := held(reflect.ValueOf(reused), "RPC", nil); len(h) > 0 {
			t.Fatalf("after Forget, still held: %v", h)
		}
		var r RPC
		if err := Decode(payload, lim, &r); err != nil {
			if !r.Empty() {
				t.Fatalf("into not reset after %v", err)
			}
			return
		}
		checkDecoded(t, payload, &r, lim)
	})
}
