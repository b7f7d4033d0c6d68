package peer

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

// signer knows the secret scalar of a key, so that tests can build
// signatures crafted R by R.
type signer struct {
	a  *edwards25519.Scalar
	id ID
}

func newSigner(t testing.TB, seed byte) signer {
	t.Helper()
	h := sha512.Sum512(bytes.Repeat([]byte{seed}, 32))
	a, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	var id ID
	copy(id[:], new(edwards25519.Point).ScalarBaseMult(a).Bytes())
	// The key is the one crypto/ed25519 derives from the same seed.
	if pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)).Public().(ed25519.PublicKey); !bytes.Equal(pub, id[:]) {
		t.Fatal("signer key differs from crypto/ed25519's")
	}
	return signer{a: a, id: id}
}

// challenge is k = SHA-512(R ‖ A ‖ msg) mod L.
func challenge(t testing.TB, r []byte, a ID, msg []byte) *edwards25519.Scalar {
	h := sha512.New()
	h.Write(r)
	h.Write(a[:])
	h.Write(msg)
	k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signR signs msg with the R encoding rEnc whose point is nonce·B + T for a
// torsion point T the caller chose (S = nonce + k·a): the cofactored
// equation holds; the cofactorless one only when T is the identity.
func (s signer) signR(t testing.TB, rEnc []byte, nonce *edwards25519.Scalar, msg []byte) []byte {
	k := challenge(t, rEnc, s.id, msg)
	S := edwards25519.NewScalar().MultiplyAdd(k, s.a, nonce)
	return append(append([]byte{}, rEnc...), S.Bytes()...)
}

func mustHex(t testing.TB, h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func scalarOf(t testing.TB, v byte) *edwards25519.Scalar {
	var b [32]byte
	b[0] = v
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sigCase is one signature of the rule's table.
type sigCase struct {
	name string
	id   ID
	msg  []byte
	sig  []byte
	want bool // under gwyh's rule
	// std is crypto/ed25519's answer where the case shows how the rules
	// differ: +1 accepts, -1 rejects, 0 not checked.
	std int8
}

// nonCanonicalIdentity is y = p + 1 ≡ 1: the identity point, encoded with
// y ≥ p.
const nonCanonicalIdentity = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"

func sigCases(t testing.TB) []sigCase {
	alice, bob := newSigner(t, 1), newSigner(t, 2)
	msg := []byte("libp2p-pubsub:hello")
	good := ed25519.Sign(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)), msg)
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	nonce := scalarOf(t, 77)
	nonceB := new(edwards25519.Point).ScalarBaseMult(nonce)

	// Torsioned R: nonce·B + T for T of order 8. Valid under the
	// cofactored equation, not under the cofactorless one.
	T, err := new(edwards25519.Point).SetBytes(smallOrder[4][:])
	if err != nil {
		t.Fatal(err)
	}
	torsioned := alice.signR(t, new(edwards25519.Point).Add(nonceB, T).Bytes(), nonce, msg)

	// R = identity with S = k·a: S·B - k·A is the identity. Canonically
	// encoded, both equations accept it; encoded with y ≥ p, ZIP-215
	// accepts it and our rule (canonical R) and crypto/ed25519 do not.
	zero := edwards25519.NewScalar()
	identityR := alice.signR(t, smallOrder[0][:], zero, msg)
	nonCanonR := alice.signR(t, mustHex(t, nonCanonicalIdentity), zero, msg)

	// S + L: the same S·B, an S that is not reduced.
	l := mustHex(t, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	bigS := bytes.Clone(good)
	var carry uint16
	for i := range 32 {
		v := uint16(bigS[32+i]) + uint16(l[i]) + carry
		bigS[32+i], carry = byte(v), v>>8
	}

	// Keys anyone can sign for: with A the identity, R = S·B verifies for
	// every message under both equations.
	s := scalarOf(t, 5)
	forgedR := new(edwards25519.Point).ScalarBaseMult(s).Bytes()
	forged := append(append([]byte{}, forgedR...), s.Bytes()...)
	var nonCanonKey ID
	copy(nonCanonKey[:], mustHex(t, nonCanonicalIdentity))

	cases := []sigCase{
		{name: "valid", id: alice.id, msg: msg, sig: good, want: true, std: 1},
		{name: "wrong message", id: alice.id, msg: []byte("libp2p-pubsub:hellO"), sig: good},
		{name: "wrong key", id: bob.id, msg: msg, sig: good},
		{name: "flipped R", id: alice.id, msg: msg, sig: flip(good, 3)},
		{name: "flipped S", id: alice.id, msg: msg, sig: flip(good, 40)},
		{name: "short", id: alice.id, msg: msg, sig: good[:63]},
		{name: "long", id: alice.id, msg: msg, sig: append(bytes.Clone(good), 0)},
		{name: "empty", id: alice.id, msg: msg},
		{name: "S not reduced", id: alice.id, msg: msg, sig: bigS},
		{name: "torsioned R", id: alice.id, msg: msg, sig: torsioned, want: true, std: -1},
		{name: "identity R", id: alice.id, msg: msg, sig: identityR, want: true, std: 1},
		{name: "non-canonical R", id: alice.id, msg: msg, sig: nonCanonR, want: false, std: -1},
		{name: "identity key", id: smallOrder[0], msg: msg, sig: forged, want: false, std: 1},
		{name: "non-canonical identity key", id: nonCanonKey, msg: msg, sig: forged, want: false, std: 1},
		{name: "not a point", id: ID{2}, msg: msg, sig: good},
	}
	for i := 1; i < len(smallOrder); i++ {
		cases = append(cases, sigCase{name: fmt.Sprintf("small-order key %d", i), id: smallOrder[i], msg: msg, sig: forged})
	}
	return cases
}

// TestSignatureRule pins the rule down on hand-built signatures: ID.Verify
// and BatchVerifier give the same answer for each, alone and in a batch of
// valid signatures, and the cases where crypto/ed25519 differs show why.
func TestSignatureRule(t *testing.T) {
	cases := sigCases(t)
	valid := validItems(t, 5)
	var bv BatchVerifier
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.id.Verify(c.msg, c.sig); got != c.want {
				t.Fatalf("Verify = %v, want %v", got, c.want)
			}
			if c.std != 0 {
				if got := ed25519.Verify(c.id[:], c.msg, c.sig); got != (c.std > 0) {
					t.Fatalf("crypto/ed25519 = %v: the case does not show what it claims", got)
				}
			}
			for _, at := range []int{0, 2, 5} {
				items := append(append(append([]Signed{}, valid[:at]...), Signed{c.id, c.msg, c.sig}), valid[at:]...)
				ok := make([]bool, len(items))
				all := bv.Verify(items, ok)
				for i, v := range ok {
					want := i != at || c.want
					if v != want {
						t.Fatalf("bad at %d: batch ok[%d] = %v, want %v", at, i, v, want)
					}
				}
				if all != c.want {
					t.Fatalf("batch all = %v, want %v", all, c.want)
				}
			}
			ok := []bool{true}
			if got := bv.Verify([]Signed{{c.id, c.msg, c.sig}}, ok); got != c.want || ok[0] != c.want {
				t.Fatalf("batch of one = %v %v, want %v", got, ok[0], c.want)
			}
		})
	}
}

// TestBatchMixed runs batches of every size with invalid members at random
// places: each answer equals ID.Verify's.
func TestBatchMixed(t *testing.T) {
	cases := sigCases(t)
	valid := validItems(t, 40)
	rng := rand.New(rand.NewPCG(1, 2))
	var bv BatchVerifier
	for n := 0; n <= 40; n += 3 {
		items := append([]Signed{}, valid[:n]...)
		for range rng.IntN(3) {
			c := cases[rng.IntN(len(cases))]
			at := rng.IntN(len(items) + 1)
			items = append(items[:at], append([]Signed{{c.id, c.msg, c.sig}}, items[at:]...)...)
		}
		checkBatchAgrees(t, &bv, items, fmt.Sprintf("n=%d", n))
	}
}

// checkBatchAgrees verifies items in one batch and fails unless each
// answer, and the batch's, is what ID.Verify gives one by one.
func checkBatchAgrees(t *testing.T, bv *BatchVerifier, items []Signed, what string) {
	t.Helper()
	ok := make([]bool, len(items))
	all := bv.Verify(items, ok)
	want := true
	for i, it := range items {
		w := it.ID.Verify(it.Msg, it.Sig)
		want = want && w
		if ok[i] != w {
			t.Fatalf("%s: ok[%d] = %v, Verify = %v", what, i, ok[i], w)
		}
	}
	if all != want {
		t.Fatalf("%s: all = %v, want %v", what, all, want)
	}
}

// validItems returns n valid signatures by n keys.
func validItems(t testing.TB, n int) []Signed {
	items := make([]Signed, n)
	for i := range items {
		id, err := IdentityFromSeed(bytes.Repeat([]byte{byte(i + 100)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Appendf(nil, "message %d", i)
		items[i] = Signed{ID: id.ID(), Msg: msg, Sig: id.Sign(msg)}
	}
	return items
}

// FuzzVerifyBatchAgrees checks that batch and single verification agree
// on arbitrary keys, messages and signatures, placed among valid ones.
func FuzzVerifyBatchAgrees(f *testing.F) {
	for _, c := range sigCases(f) {
		f.Add(c.id[:], c.msg, c.sig, uint8(1))
	}
	valid := validItems(f, 6)
	var bv BatchVerifier
	f.Fuzz(func(t *testing.T, key, msg, sig []byte, at uint8) {
		var id ID
		copy(id[:], key)
		fuzzed := Signed{ID: id, Msg: msg, Sig: sig}
		// The same bytes signed by a valid key, which a fuzzed signature
		// may match (the seeds do).
		items := append([]Signed{}, valid...)
		pos := int(at) % (len(items) + 1)
		items = append(items[:pos], append([]Signed{fuzzed}, items[pos:]...)...)
		items = append(items, Signed{ID: valid[0].ID, Msg: msg, Sig: sig})
		checkBatchAgrees(t, &bv, items, "fuzzed")
	})
}

// BenchmarkVerify is one ID.Verify; BenchmarkVerifyStdlib is crypto/ed25519
// on the same signature, for comparison.
func BenchmarkVerify(b *testing.B) {
	it := validItems(b, 1)[0]
	for b.Loop() {
		if !it.ID.Verify(it.Msg, it.Sig) {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkVerifyStdlib(b *testing.B) {
	it := validItems(b, 1)[0]
	for b.Loop() {
		if !ed25519.Verify(it.ID[:], it.Msg, it.Sig) {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkVerifyBatch verifies batches of N valid signatures by N keys;
// us/sig is the cost per signature.
func BenchmarkVerifyBatch(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8, 16, 32, 64} {
		items := validItems(b, n)
		ok := make([]bool, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var bv BatchVerifier
			for b.Loop() {
				if !bv.Verify(items, ok) {
					b.Fatal("rejected")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "us/sig")
		})
	}
}

// TestBatchVerifierKeepsKeys: the expanded keys kept are those of valid
// signatures, at most maxExpandedKeys of them, and answers stay right
// when they are reused.
func TestBatchVerifierKeepsKeys(t *testing.T) {
	var bv BatchVerifier
	valid := validItems(t, 3)
	bad := validItems(t, 5)[3:]
	for i := range bad {
		bad[i].Msg = []byte("tampered")
	}
	items := append(append([]Signed{}, valid...), bad...)
	ok := make([]bool, len(items))
	for round := range 2 {
		if bv.Verify(items, ok) {
			t.Fatal("all valid")
		}
		for i := range items {
			if ok[i] != (i < len(valid)) {
				t.Fatalf("round %d: ok[%d] = %v", round, i, ok[i])
			}
		}
		if len(bv.keys) != len(valid) {
			t.Fatalf("round %d: %d keys kept, want %d", round, len(bv.keys), len(valid))
		}
		for _, it := range bad {
			if bv.keys[it.ID] != nil {
				t.Fatal("kept the key of an invalid signature")
			}
		}
	}
	many := validItems(t, 2*maxExpandedKeys+1)
	if !bv.Verify(many, make([]bool, len(many))) || len(bv.keys) > maxExpandedKeys {
		t.Fatalf("%d keys kept, at most %d", len(bv.keys), maxExpandedKeys)
	}
}
