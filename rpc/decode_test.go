package rpc

import (
	"errors"
	"strings"
	"testing"
)

// fld builds a length-delimited field with key (num, wire 2).
func fld(num byte, body ...[]byte) []byte {
	var b []byte
	for _, p := range body {
		b = append(b, p...)
	}
	return appendBytes(nil, num, b)
}

// str is fld for a string body.
func str(num byte, s string) []byte { return fld(num, []byte(s)) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// rep repeats p n times.
func rep(p []byte, n int) []byte { return []byte(strings.Repeat(string(p), n)) }

// ctl wraps control entries in an RPC control field.
func ctl(entries ...[]byte) []byte { return fld(3, entries...) }

func TestDecodeErrors(t *testing.T) {
	lim := Limits{MaxMessages: 2, MaxSubscriptions: 2, MaxIHave: 2, MaxIWant: 2, MaxGraft: 2,
		MaxPrune: 2, MaxIDontWant: 2, MaxChoke: 2, MaxIHaveIDs: 3, MaxIWantIDs: 3, MaxIDontWantIDs: 3,
		MaxIDLen: 8, MaxTopicLen: 8, MaxPrunePeers: 2, MaxPeerIDLen: 4, MaxRecordLen: 4,
		MaxDataSize: 16, MaxFromLen: 4, MaxSeqnoLen: 4, MaxSignatureLen: 4, MaxKeyLen: 4, MaxPayload: 200}
	id := str(1, "id")
	tests := []struct {
		name    string
		payload []byte
		want    error  // ErrMalformed or ErrTooLarge
		what    string // LimitError.What when want is ErrTooLarge
	}{
		{"truncated key varint", []byte{0x80}, ErrMalformed, ""},
		{"overlong varint", cat([]byte{0x08}, rep([]byte{0xff}, 10), []byte{0x01}), ErrMalformed, ""},
		{"varint overflows 64 bits", cat([]byte{0x08}, rep([]byte{0xff}, 9), []byte{0x02}), ErrMalformed, ""},
		{"length past end", []byte{0x12, 0x05, 1, 2}, ErrMalformed, ""},
		{"huge claimed length", []byte{0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrMalformed, ""},
		{"field number zero", []byte{0x02, 0x00}, ErrMalformed, ""},
		{"group start", []byte{0x4b}, ErrMalformed, ""},
		{"group end", []byte{0x4c}, ErrMalformed, ""},
		{"reserved wire type 6", []byte{0x4e}, ErrMalformed, ""},
		{"truncated fixed64", []byte{0x49, 1, 2, 3}, ErrMalformed, ""},
		{"publish as varint", []byte{0x10, 0x01}, ErrMalformed, ""},
		{"subscribe as bytes", fld(1, str(1, "x")), ErrMalformed, ""},
		{"backoff as bytes", ctl(fld(4, str(3, "x"))), ErrMalformed, ""},
		{"bad nested ihave", ctl(fld(1, []byte{0x12, 0x09})), ErrMalformed, ""},
		{"bad peer info", ctl(fld(4, fld(2, []byte{0x0a, 0x07}))), ErrMalformed, ""},
		{"payload", make([]byte, 201), ErrTooLarge, "payload bytes"},
		{"subscriptions", rep(fld(1, str(2, "t")), 3), ErrTooLarge, "subscriptions"},
		{"messages", rep(fld(2), 3), ErrTooLarge, "messages"},
		{"data", fld(2, fld(2, make([]byte, 17))), ErrTooLarge, "data size"},
		{"from", fld(2, fld(1, make([]byte, 5))), ErrTooLarge, "from length"},
		{"seqno", fld(2, fld(3, make([]byte, 5))), ErrTooLarge, "seqno length"},
		{"signature", fld(2, fld(5, make([]byte, 5))), ErrTooLarge, "signature length"},
		{"key", fld(2, fld(6, make([]byte, 5))), ErrTooLarge, "key length"},
		{"message topic", fld(2, str(4, "123456789")), ErrTooLarge, "topic length"},
		{"sub topic", fld(1, str(2, "123456789")), ErrTooLarge, "topic length"},
		{"ihave entries", ctl(rep(fld(1), 3)), ErrTooLarge, "IHAVE entries"},
		{"iwant entries", ctl(rep(fld(2), 3)), ErrTooLarge, "IWANT entries"},
		{"graft entries", ctl(rep(fld(3), 3)), ErrTooLarge, "GRAFT entries"},
		{"prune entries", ctl(rep(fld(4), 3)), ErrTooLarge, "PRUNE entries"},
		{"idontwant entries", ctl(rep(fld(5), 3)), ErrTooLarge, "IDONTWANT entries"},
		{"ihave ids", ctl(fld(1, rep(str(2, "i"), 2)), fld(1, rep(str(2, "i"), 2))), ErrTooLarge, "IHAVE ids"},
		{"iwant ids", ctl(fld(2, rep(id, 4))), ErrTooLarge, "IWANT ids"},
		{"idontwant ids", ctl(fld(5, rep(id, 2)), fld(5, rep(id, 2))), ErrTooLarge, "IDONTWANT ids"},
		{"id length", ctl(fld(2, str(1, "123456789"))), ErrTooLarge, "message id length"},
		{"ihave topic", ctl(fld(1, str(1, "123456789"))), ErrTooLarge, "topic length"},
		{"graft topic", ctl(fld(3, str(1, "123456789"))), ErrTooLarge, "topic length"},
		{"choke entries", ctl(rep(fld(14), 3)), ErrTooLarge, "CHOKE entries"},
		{"unchoke entries", ctl(rep(fld(15), 3)), ErrTooLarge, "UNCHOKE entries"},
		{"choke topic", ctl(fld(14, str(1, "123456789"))), ErrTooLarge, "topic length"},
		{"unchoke topic", ctl(fld(15, str(1, "123456789"))), ErrTooLarge, "topic length"},
		{"choke as varint", ctl([]byte{14 << 3, 1}), ErrMalformed, ""},
		{"bad nested unchoke", ctl(fld(15, []byte{0x0a, 0x05})), ErrMalformed, ""},
		{"prune peers", ctl(fld(4, rep(fld(2), 3))), ErrTooLarge, "PRUNE peers"},
		{"peer id", ctl(fld(4, fld(2, fld(1, make([]byte, 5))))), ErrTooLarge, "peer id length"},
		{"peer record", ctl(fld(4, fld(2, fld(2, make([]byte, 5))))), ErrTooLarge, "peer record length"},
		{"limits across control fields", cat(ctl(rep(fld(3), 2)), ctl(fld(3))), ErrTooLarge, "GRAFT entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := RPC{Graft: make([]Graft, 0, 4)}
			err := Decode(tc.payload, lim, &r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !r.Empty() {
				t.Fatalf("into not reset after error: %s", dump(&r))
			}
			var le *LimitError
			if isLimit := errors.As(err, &le); isLimit != (tc.want == ErrTooLarge) {
				t.Fatalf("err %v: LimitError %v", err, isLimit)
			}
			if le != nil && le.What != tc.what {
				t.Fatalf("What = %q, want %q", le.What, tc.what)
			}
			if le != nil && le.Got <= le.Limit {
				t.Fatalf("Got %d <= Limit %d", le.Got, le.Limit)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"empty payload", nil, ""},
		{"unknown fields of every wire type skipped", cat(
			[]byte{0x78, 0x05},                   // field 15 varint
			[]byte{0x79, 1, 2, 3, 4, 5, 6, 7, 8}, // field 15 fixed64
			[]byte{0x7d, 1, 2, 3, 4},             // field 15 fixed32
			str(15, "junk"),                      // field 15 bytes
			fld(1, []byte{0x08, 0x01}, str(9, "x"), str(2, "t")),
			ctl(fld(3, str(1, "g"), []byte{0x10, 0x07}), fld(9, str(1, "x"))),
		), "sub true \"t\"\ngraft \"g\"\n"},
		{"last scalar wins", fld(2, str(4, "a"), str(4, "b")), "msg from= data= seqno= topic=\"b\" sig= key=\n"},
		{"subscribe any nonzero varint", fld(1, []byte{0x08, 0x80, 0x01}), "sub true \"\"\n"},
		{"control fields merge", cat(ctl(fld(3, str(1, "a"))), ctl(fld(3, str(1, "b")))), "graft \"a\"\ngraft \"b\"\n"},
		{"ids at limits", ctl(fld(2, rep(str(1, "12345678"), 5000))), "iwant " + idsQ("12345678", 5000) + "\n"},
		{"id limits are per kind", ctl(fld(1, rep(str(2, "h"), 5000)), fld(2, rep(str(1, "w"), 5000)), fld(5, rep(str(1, "d"), 5000))),
			"ihave \"\" " + idsQ("h", 5000) + "\niwant " + idsQ("w", 5000) + "\nidontwant " + idsQ("d", 5000) + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r RPC
			if err := Decode(tc.payload, Limits{MaxIDLen: 8}, &r); err != nil {
				t.Fatal(err)
			}
			if got := dump(&r); got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// idsQ is how dump prints n copies of id.
func idsQ(id string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(`"`+id+`" `, n), " ") + "]"
}

// TestDecodeOwnership checks that strings survive changes to the payload
// while byte fields alias it, and that reuse keeps capacity.
func TestDecodeOwnership(t *testing.T) {
	r := typicalBatch()
	payload := Pack(nil, &r, 1400)[0]
	var d RPC
	if err := Decode(payload, Limits{}, &d); err != nil {
		t.Fatal(err)
	}
	want := dump(&r)
	topic, id := d.IHave[0].Topic, d.IHave[0].IDs[3]
	clear(payload)
	if topic != "bench-topic" || id != r.IHave[0].IDs[3] {
		t.Fatalf("strings changed with the payload: %q %q", topic, id)
	}
	if d.Publish[0].Data == nil || cap(d.Publish[0].Data) != len(d.Publish[0].Data) {
		t.Fatalf("data not aliased with clipped capacity")
	}
	payload = Pack(nil, &r, 1400)[0]
	if err := Decode(payload, Limits{}, &d); err != nil {
		t.Fatal(err)
	}
	if got := dump(&d); got != want {
		t.Fatalf("reused decode:\n got %s\nwant %s", got, want)
	}
	allocs := testing.AllocsPerRun(50, func() { _ = Decode(payload, Limits{}, &d) })
	if allocs > 1 {
		t.Fatalf("warm Decode: %v allocs, want 1 (the string arena)", allocs)
	}
}
