package rpc

import (
	"bytes"
	"testing"

	"github.com/gwyh/gwyh/pb"
	"google.golang.org/protobuf/proto"
)

// TestChokeWire pins the bytes of CHOKE and UNCHOKE (ControlMessage fields
// 14 and 15, one-byte keys 0x72 and 0x7a) and decodes them back, alone and
// next to libp2p's control parts.
func TestChokeWire(t *testing.T) {
	tests := []struct {
		name string
		r    RPC
		want []byte
	}{
		{"choke", RPC{Choke: []Choke{{"t"}}},
			[]byte{0x1a, 0x05, 0x72, 0x03, 0x0a, 0x01, 't'}},
		{"unchoke", RPC{Unchoke: []Unchoke{{"ab"}}},
			[]byte{0x1a, 0x06, 0x7a, 0x04, 0x0a, 0x02, 'a', 'b'}},
		{"empty topic", RPC{Choke: []Choke{{}}}, []byte{0x1a, 0x02, 0x72, 0x00}},
		{"after graft, in field order", RPC{Graft: []Graft{{"g"}}, Choke: []Choke{{"t"}}, Unchoke: []Unchoke{{"u"}}},
			[]byte{0x1a, 0x0f, 0x1a, 0x03, 0x0a, 0x01, 'g', 0x72, 0x03, 0x0a, 0x01, 't', 0x7a, 0x03, 0x0a, 0x01, 'u'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.r.Append(nil)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("Append = %x, want %x", got, tc.want)
			}
			if tc.r.Size() != len(got) {
				t.Fatalf("Size %d, encoded %d", tc.r.Size(), len(got))
			}
			packed := Pack(nil, &tc.r, 1400)
			if len(packed) != 1 || !bytes.Equal(packed[0], tc.want) {
				t.Fatalf("Pack = %x, want %x", packed, tc.want)
			}
			var back RPC
			if err := Decode(got, Limits{}, &back); err != nil {
				t.Fatal(err)
			}
			if a, b := dump(&back), dump(&tc.r); a != b {
				t.Fatalf("decoded\n%s\nwant\n%s", a, b)
			}
			var x pb.RPC
			if err := proto.Unmarshal(got, &x); err != nil {
				t.Fatal(err)
			}
			if a, b := dump(fromPB(&x)), dump(&tc.r); a != b {
				t.Fatalf("pb decoded\n%s\nwant\n%s", a, b)
			}
		})
	}
}

// TestChokeSkippedByOldSchema checks that a decoder without the choke
// fields (libp2p's ControlMessage) skips them: the rest of the payload
// decodes as if they were absent.
func TestChokeSkippedByOldSchema(t *testing.T) {
	r := RPC{Graft: []Graft{{"g"}}, Choke: []Choke{{"t"}}, Unchoke: []Unchoke{{"t"}}}
	var x pb.RPC
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(r.Append(nil), &x); err != nil {
		t.Fatal(err)
	}
	x.Control.Choke, x.Control.Unchoke = nil, nil // what an old decoder has
	if got := dump(fromPB(&x)); got != "graft \"g\"\n" {
		t.Fatalf("got %q", got)
	}
}

// FuzzChoke decodes control payloads built around CHOKE and UNCHOKE
// entries: Decode must agree with proto.Unmarshal and re-encode to the same
// bytes.
func FuzzChoke(f *testing.F) {
	f.Add([]byte{0x72, 0x03, 0x0a, 0x01, 't'})
	f.Add([]byte{0x7a, 0x04, 0x0a, 0x02, 'a', 'b', 0x72, 0x00})
	f.Add([]byte{0x72, 0x05, 0x0a, 0x01, 't', 0x10, 0x01}) // unknown field inside
	f.Add([]byte{0x72, 0x02, 0x0a, 0x09})                  // truncated topic
	f.Fuzz(func(t *testing.T, body []byte) {
		payload := appendBytes(nil, rpcFieldControl, body)
		var r RPC
		err := Decode(payload, Limits{MaxChoke: 8}, &r)
		if len(r.Choke) > 8 || len(r.Unchoke) > 8 {
			t.Fatalf("limit broken: %d chokes, %d unchokes", len(r.Choke), len(r.Unchoke))
		}
		if err != nil {
			return
		}
		checkDecoded(t, payload, &r, Limits{MaxChoke: 8})
	})
}
