package router

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/rpc"
)

func TestHandlePayload(t *testing.T) {
	e := newJoinedEnv(t, withFakeScorer, 2)
	good := rpc.Pack(nil, pub(msg("t", 1, 8)), 1400)[0]
	tests := []struct {
		name    string
		from    int
		score   float64
		payload []byte
		err     error
		cause   DropCause
	}{
		{"garbage from graylisted peer dropped before decoding", 1, -31, []byte{0xff, 0xff}, ErrGraylisted, DropGraylisted},
		{"garbage", 1, 0, []byte{0xff, 0xff, 0xff}, ErrMalformed, DropMalformed},
		{"unknown peer", 99, 0, good, ErrUnknownPeer, DropUnknownPeer},
		{"good", 2, 0, good, nil, DropNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.sc.scores[pid(tc.from)] = tc.score
			before := e.r.Stats().Drops[tc.cause]
			err := e.r.HandlePayload(e.now, pid(tc.from), tc.payload)
			e.ready()
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.cause != DropNone && e.r.Stats().Drops[tc.cause] != before+1 {
				t.Fatalf("drop %v not counted", tc.cause)
			}
			if tc.err == nil && len(e.out.Deliveries) != 1 {
				t.Fatal("good payload not delivered")
			}
		})
	}
	if !errors.Is(e.r.HandlePayload(e.now, pid(1), []byte{0xff}), ErrMalformed) {
		t.Fatal("malformed error does not wrap ErrMalformed")
	}
}

// TestHandlePayloadKeepsNoReference: once the Output of a synchronously
// validated payload is drained, the router holds nothing that aliases the
// payload (the cache keeps its own copy), so the caller may reuse it: the
// simulator recycles its packet buffers on this contract.
func TestHandlePayloadKeepsNoReference(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"small message", 16},
		{"large message", 3000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, from, outside := cacheEnv(t, DefaultParams().MessageCacheBytes)
			m := msg("t", 7, tc.size)
			want := slices.Clone(m.Data)
			payload := rpc.Pack(nil, pub(m), 1<<16)[0]
			if err := e.r.HandlePayload(e.now, pid(from), payload); err != nil {
				t.Fatal(err)
			}
			if out := e.ready(); len(out.Deliveries) != 1 {
				t.Fatalf("%d deliveries, want 1", len(out.Deliveries))
			}
			for i := range payload {
				payload[i] = 0xaa
			}
			e.rpcFrom(outside, &rpc.RPC{IWant: []rpc.IWant{{IDs: []string{msgID(7)}}}})
			s := e.sendTo(outside)
			if s == nil || len(s.Publish) != 1 {
				t.Fatalf("IWANT not answered: %v", s)
			}
			if got := s.Publish[0]; got.Topic != "t" || !bytes.Equal(got.Data, want) {
				t.Fatalf("served message changed with the payload: topic %q, data %x…", got.Topic, got.Data[:min(8, len(got.Data))])
			}
		})
	}
}
