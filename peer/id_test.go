package peer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for i := 0; i < 50; i++ {
		ident, err := NewIdentity()
		if err != nil {
			t.Fatal(err)
		}
		id := ident.ID()
		s := id.String()
		if len(s) != idTextLen {
			t.Fatalf("String() = %q, %d chars, want %d", s, len(s), idTextLen)
		}
		got, err := Decode(s)
		if err != nil {
			t.Fatalf("Decode(%q): %v", s, err)
		}
		if got != id {
			t.Fatalf("Decode(String()) = %v, want %v", got, id)
		}
		up, err := Decode(strings.ToUpper(s))
		if err != nil || up != id {
			t.Fatalf("Decode(upper) = %v, %v", up, err)
		}
		if !strings.HasPrefix(s, id.Short()) {
			t.Fatalf("Short() %q is not a prefix of %q", id.Short(), s)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	ident, _ := NewIdentity()
	good := ident.ID().String()
	// 256 bits take 52 base32 characters; the last one carries one data bit
	// and four bits that must be zero. Setting the lowest of them gives text
	// that a lenient base32 decoder would accept for the same key.
	nonCanon := good[:51] + string(good[51]+1)
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"short", good[:51]},
		{"long", good + "a"},
		{"bad alphabet", "0" + good[1:]},
		{"padding", good[:50] + "=="},
		{"non-canonical", nonCanon},
		{"huge", strings.Repeat("a", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if !errors.Is(err, ErrBadID) {
				t.Fatalf("Decode(%q) err = %v, want ErrBadID", tt.in, err)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error message too long: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestIDFromBytes(t *testing.T) {
	ident, _ := NewIdentity()
	id, err := IDFromBytes(ident.ID().PublicKey())
	if err != nil || id != ident.ID() {
		t.Fatalf("IDFromBytes = %v, %v", id, err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := IDFromBytes(make([]byte, n)); !errors.Is(err, ErrBadID) {
			t.Fatalf("IDFromBytes(%d bytes) err = %v", n, err)
		}
	}
}

func TestTextMarshal(t *testing.T) {
	ident, _ := NewIdentity()
	b, err := ident.ID().MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var id ID
	if err := id.UnmarshalText(b); err != nil || id != ident.ID() {
		t.Fatalf("UnmarshalText = %v, %v", id, err)
	}
	if err := id.UnmarshalText([]byte("nope")); !errors.Is(err, ErrBadID) {
		t.Fatalf("UnmarshalText(nope) = %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	a, _ := NewIdentity()
	b, _ := NewIdentity()
	msg := []byte("hello homies")
	sig := a.Sign(msg)
	tests := []struct {
		name string
		id   ID
		msg  []byte
		sig  []byte
		want bool
	}{
		{"good", a.ID(), msg, sig, true},
		{"other key", b.ID(), msg, sig, false},
		{"other msg", a.ID(), []byte("hello homie"), sig, false},
		{"short sig", a.ID(), msg, sig[:10], false},
		{"nil sig", a.ID(), msg, nil, false},
		{"flipped sig", a.ID(), msg, append([]byte{sig[0] ^ 1}, sig[1:]...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.id, tt.msg, tt.sig); got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if !a.Verify(msg, sig) {
		t.Fatal("Identity.Verify rejected its own signature")
	}
}

func TestIdentityFromSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	a, err := IdentityFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := IdentityFromSeed(seed)
	if a.ID() != b.ID() {
		t.Fatal("same seed gave different IDs")
	}
	if _, err := IdentityFromSeed(seed[:31]); err == nil {
		t.Fatal("31-byte seed accepted")
	}
}

func TestIDCompare(t *testing.T) {
	lo, hi := ID{}, ID{}
	lo[31], hi[0] = 0xff, 0x01 // the first byte decides, not the last
	tests := []struct {
		a, b ID
		want int
	}{
		{lo, hi, -1},
		{hi, lo, 1},
		{hi, hi, 0},
		{ID{}, lo, -1},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%x.Compare(%x) = %d, want %d", tt.a[:2], tt.b[:2], got, tt.want)
		}
	}
}
