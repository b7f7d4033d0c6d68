package rpc

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gwyh/gwyh/pb"
)

func TestMembershipRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 5000} {
		body := bytes.Repeat([]byte{0xab}, n)
		p := AppendMembership(nil, body)
		if len(p) != MembershipSize(n) {
			t.Fatalf("n=%d: size %d, MembershipSize %d", n, len(p), MembershipSize(n))
		}
		if !IsMembership(p) {
			t.Fatalf("n=%d: IsMembership false", n)
		}
		got, err := SplitMembership(p)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("n=%d: SplitMembership = %x, %v", n, got, err)
		}
		var m pb.RPC // the generated schema sees the same field
		if err := proto.Unmarshal(p, &m); err != nil || !bytes.Equal(m.GetMembership(), body) {
			t.Fatalf("n=%d: pb decode = %v", n, err)
		}
		var r RPC // a GossipSub decoder skips it
		if err := Decode(p, Limits{}, &r); err != nil || !r.Empty() {
			t.Fatalf("n=%d: Decode = %+v, %v", n, r, err)
		}
	}
}

func TestSplitMembershipRejects(t *testing.T) {
	ok := AppendMembership(nil, []byte("abc"))
	for name, p := range map[string][]byte{
		"empty":     nil,
		"gossipsub": {0x0a, 0x00},
		"truncated": ok[:len(ok)-1],
		"trailing":  append(append([]byte{}, ok...), 0x00),
		"bad len":   {ok[0], 0xff},
	} {
		if _, err := SplitMembership(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}
