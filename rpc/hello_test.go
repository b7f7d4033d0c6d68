package rpc

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gwyh/gwyh/pb"
)

func TestHelloRoundTrip(t *testing.T) {
	for _, h := range []Hello{
		{},
		{SignaturePolicy: uint64(pb.SignaturePolicy_STRICT_SIGN), HasSignaturePolicy: true},
		{SignaturePolicy: uint64(pb.SignaturePolicy_STRICT_NO_SIGN), HasSignaturePolicy: true},
		{SignaturePolicy: 300, HasSignaturePolicy: true}, // a policy from the future
	} {
		p := AppendHello(nil, h)
		got, ok, err := ReadHello(p)
		if err != nil || !ok || got != h {
			t.Fatalf("%+v: ReadHello(%x) = %+v, %v, %v", h, p, got, ok, err)
		}
		var x pb.RPC // the generated schema sees the same field
		if err := proto.Unmarshal(p, &x); err != nil || x.Hello == nil || x.Control == nil {
			t.Fatalf("%+v: pb decode = %v, %v", h, &x, err)
		}
		if h.SignaturePolicy <= 1 && x.Hello.SignaturePolicy != nil != h.HasSignaturePolicy ||
			h.HasSignaturePolicy && h.SignaturePolicy <= 1 && uint64(x.Hello.GetSignaturePolicy()) != h.SignaturePolicy {
			t.Fatalf("%+v: pb sees %v", h, x.Hello)
		}
		var r RPC // a GossipSub decoder skips it and finds an empty RPC
		if err := Decode(p, Limits{}, &r); err != nil || !r.Empty() {
			t.Fatalf("%+v: Decode = %+v, %v", h, r, err)
		}
		if IsMembership(p) {
			t.Fatalf("%+v: a hello passes for membership", h)
		}
		if b, err := proto.Marshal(&pb.RPC{Control: &pb.ControlMessage{}, Hello: helloPB(h)}); h.SignaturePolicy <= 1 && (err != nil || !bytes.Equal(b, p)) {
			t.Fatalf("%+v: proto.Marshal = %x, AppendHello = %x", h, b, p)
		}
	}
	if !bytes.Equal(AppendHello([]byte{7}, Hello{})[:1], []byte{7}) {
		t.Fatal("AppendHello does not append")
	}
}

// helloPB is h as the generated type (known policies only).
func helloPB(h Hello) *pb.Hello {
	x := &pb.Hello{}
	if h.HasSignaturePolicy && h.SignaturePolicy <= 1 {
		x.SignaturePolicy = pb.SignaturePolicy(h.SignaturePolicy).Enum()
	}
	return x
}

func TestReadHello(t *testing.T) {
	noSign := Hello{SignaturePolicy: 1, HasSignaturePolicy: true}
	tests := []struct {
		name    string
		payload []byte
		want    Hello
		ok      bool
		err     error
	}{
		{"empty payload", nil, Hello{}, false, nil},
		{"old hello", []byte{0x1a, 0x00}, Hello{}, false, nil},
		{"gossipsub payload", (&RPC{Subscriptions: []SubOpts{{Subscribe: true, Topic: "t"}}}).Append(nil), Hello{}, false, nil},
		{"membership", AppendMembership(nil, []byte("x")), Hello{}, false, nil},
		{"hello first", []byte{0x82, 0x01, 0x02, 0x08, 0x01, 0x1a, 0x00}, noSign, true, nil},
		{"later hello wins", append(AppendHello(nil, Hello{HasSignaturePolicy: true}), AppendHello(nil, noSign)[2:]...), noSign, true, nil},
		{"empty hello keeps the earlier policy", append(AppendHello(nil, noSign), 0x82, 0x01, 0x00), noSign, true, nil},
		{"unknown hello field skipped", []byte{0x82, 0x01, 0x04, 0x10, 0x05, 0x08, 0x01}, noSign, true, nil},
		{"truncated hello", AppendHello(nil, noSign)[:5], Hello{}, false, ErrMalformed},
		{"hello not length-delimited", []byte{0x80, 0x01, 0x01}, Hello{}, false, ErrMalformed},
		{"policy not a varint", []byte{0x82, 0x01, 0x02, 0x0a, 0x00}, Hello{}, false, ErrMalformed},
		{"bad varint in hello", []byte{0x82, 0x01, 0x02, 0x08, 0x80}, Hello{}, false, ErrMalformed},
		{"bad framing elsewhere", []byte{0x1a, 0x05, 0x00}, Hello{}, false, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, ok, err := ReadHello(tc.payload)
			if h != tc.want || ok != tc.ok || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("ReadHello(%x) = %+v, %v, %v; want %+v, %v, %v", tc.payload, h, ok, err, tc.want, tc.ok, tc.err)
			}
		})
	}
}

// FuzzReadHello checks that ReadHello never panics, allocates nothing,
// and agrees with proto.Unmarshal on every payload both accept.
func FuzzReadHello(f *testing.F) {
	f.Add(AppendHello(nil, Hello{}))
	f.Add(AppendHello(nil, Hello{SignaturePolicy: 1, HasSignaturePolicy: true}))
	tb := typicalBatch()
	f.Add(AppendHello(tb.Append(nil), Hello{HasSignaturePolicy: true}))
	f.Add([]byte{0x82, 0x01, 0x02, 0x08, 0x80})
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, ok, err := ReadHello(payload)
		if err != nil {
			if ok || h != (Hello{}) {
				t.Fatalf("error %v with %+v, %v", err, h, ok)
			}
			return
		}
		var x pb.RPC
		if proto.Unmarshal(payload, &x) != nil {
			return // ReadHello reads the top level only
		}
		if ok != (x.Hello != nil) {
			t.Fatalf("ReadHello ok %v, pb hello %v", ok, x.Hello)
		}
		if ok && h.SignaturePolicy <= 1 && (h.HasSignaturePolicy != (x.Hello.SignaturePolicy != nil) ||
			h.HasSignaturePolicy && uint64(x.Hello.GetSignaturePolicy()) != h.SignaturePolicy) {
			t.Fatalf("ReadHello %+v, pb %v", h, x.Hello)
		}
	})
}

func TestReadHelloAllocs(t *testing.T) {
	tb := typicalBatch()
	p := AppendHello(tb.Append(nil), Hello{SignaturePolicy: 1, HasSignaturePolicy: true})
	if a := testing.AllocsPerRun(100, func() { _, _, _ = ReadHello(p) }); a != 0 {
		t.Fatalf("ReadHello allocates %v times", a)
	}
}
