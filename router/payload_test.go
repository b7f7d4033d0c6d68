package router

import (
	"errors"
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
