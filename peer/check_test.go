package peer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"filippo.io/edwards25519"
)

// oracleValid is Check's definition computed with big integers and point
// arithmetic: y < p; then, if the bytes decode to a point, they are its
// canonical encoding and 8·P ≠ 0 (bytes that are no point are no risk).
func oracleValid(b []byte) bool {
	le := bytes.Clone(b)
	le[31] &= 0x7f
	slices.Reverse(le)
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	if new(big.Int).SetBytes(le).Cmp(p) >= 0 {
		return false
	}
	pt, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return true
	}
	if !bytes.Equal(pt.Bytes(), b) {
		return false
	}
	return new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 0
}

// torsion returns the canonical encodings of the 8 small-order points,
// derived from the curve: the multiples of a point of order 8.
func torsion(t *testing.T) [][]byte {
	t.Helper()
	var enc [32]byte
	copy(enc[:], smallOrder[4][:])
	g, err := new(edwards25519.Point).SetBytes(enc[:])
	if err != nil {
		t.Fatal(err)
	}
	four := new(edwards25519.Point).Add(g, g)
	four.Add(four, four)
	if four.Equal(edwards25519.NewIdentityPoint()) == 1 || new(edwards25519.Point).MultByCofactor(g).Equal(edwards25519.NewIdentityPoint()) == 0 {
		t.Fatal("generator is not of order 8")
	}
	var out [][]byte
	p := edwards25519.NewIdentityPoint()
	for range 8 {
		out = append(out, p.Bytes())
		p.Add(p, g)
	}
	return out
}

// forge finds a signature that crypto/ed25519 accepts for the small-order
// key a without any private key: R = identity, S = 0 verifies whenever
// [k]a = 0, which holds for one message in at most 8.
func forge(t *testing.T, a []byte) (msg, sig []byte) {
	t.Helper()
	sig = make([]byte, 64)
	sig[0] = 1 // R = the identity point; S = 0
	for i := range 1000 {
		msg = fmt.Appendf(nil, "anyone %d", i)
		if ed25519.Verify(a, msg, sig) {
			return msg, sig
		}
	}
	t.Fatalf("no forgery for %x", a)
	return nil, nil
}

func TestSmallOrderIDRejected(t *testing.T) {
	pts := torsion(t)
	listed := map[ID]bool{}
	for _, id := range smallOrder {
		listed[id] = true
	}
	type tc struct {
		name string
		enc  ID
	}
	var cases []tc
	for i, e := range pts {
		id := ID(e)
		if !listed[id] {
			t.Fatalf("small-order point %x missing from the list", e)
		}
		cases = append(cases, tc{fmt.Sprintf("order point %d", i), id})
	}
	// Non-canonical encodings: y+p for every y < 19 (both signs), and
	// x = 0 with the sign bit set (y = ±1).
	for y := range uint64(19) {
		var id ID
		binary.LittleEndian.PutUint64(id[:], ^uint64(0)-18+y)
		for i := 8; i < 31; i++ {
			id[i] = 0xff
		}
		id[31] = 0x7f
		cases = append(cases, tc{fmt.Sprintf("y=p+%d", y), id})
		id[31] |= 0x80
		cases = append(cases, tc{fmt.Sprintf("y=p+%d signed", y), id})
	}
	negZero1, negZero2 := smallOrder[0], smallOrder[1]
	negZero1[31] |= 0x80
	negZero2[31] |= 0x80
	cases = append(cases, tc{"y=1 sign set", negZero1}, tc{"y=-1 sign set", negZero2})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if oracleValid(c.enc[:]) {
				t.Fatalf("oracle calls %x valid", c.enc)
			}
			if err := c.enc.Check(); !errors.Is(err, ErrBadID) {
				t.Fatalf("Check(%x) = %v, want ErrBadID", c.enc, err)
			}
			if _, err := Decode(c.enc.String()); !errors.Is(err, ErrBadID) {
				t.Fatalf("Decode accepted %x", c.enc)
			}
			if _, err := IDFromBytes(c.enc[:]); !errors.Is(err, ErrBadID) {
				t.Fatalf("IDFromBytes accepted %x", c.enc)
			}
			if p, err := new(edwards25519.Point).SetBytes(c.enc[:]); err == nil &&
				new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
				// A small-order point in any encoding: crypto/ed25519
				// takes signatures from anyone; Verify must not.
				msg, sig := forge(t, c.enc[:])
				if c.enc.Verify(msg, sig) {
					t.Fatalf("Verify accepted a forged signature for %x", c.enc)
				}
			}
		})
	}
	if (ID{}).Valid() {
		t.Fatal("the zero ID is valid")
	}
	good, _ := NewIdentity()
	msg := []byte("m")
	if err := good.ID().Check(); err != nil || !good.ID().Verify(msg, good.Sign(msg)) {
		t.Fatalf("a real key fails: %v", err)
	}
}

// checkAgainstOracle compares Check with oracleValid on b, and Verify with
// crypto/ed25519 for keys that pass.
func checkAgainstOracle(t *testing.T, b []byte, msg, sig []byte) {
	var id ID
	copy(id[:], b)
	if got, want := id.Check() == nil, oracleValid(id[:]); got != want {
		t.Fatalf("Check(%x) ok=%v, oracle %v", id, got, want)
	}
	if id.Valid() {
		if got, want := id.Verify(msg, sig), ed25519.Verify(id[:], msg, sig); got != want {
			t.Fatalf("Verify(%x) = %v, crypto/ed25519 %v", id, got, want)
		}
	} else if id.Verify(msg, sig) {
		t.Fatalf("Verify true for invalid %x", id)
	}
}

func TestCheckMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	msg := []byte("msg")
	for i := range 2000 {
		var b [32]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%4 == 0 { // real keys, with a real signature
			ident, _ := IdentityFromSeed(b[:])
			checkAgainstOracle(t, ident.id[:], msg, ident.Sign(msg))
			continue
		}
		checkAgainstOracle(t, b[:], msg, make([]byte, 64))
	}
}

func FuzzIDCheck(f *testing.F) {
	for _, id := range smallOrder {
		f.Add(id[:], []byte("m"), make([]byte, 64))
	}
	ident, _ := IdentityFromSeed(make([]byte, 32))
	f.Add(ident.id[:], []byte("m"), ident.Sign([]byte("m")))
	f.Fuzz(func(t *testing.T, key, msg, sig []byte) {
		if len(key) != IDSize {
			return
		}
		checkAgainstOracle(t, key, msg, sig)
	})
}
