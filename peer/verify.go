package peer

import (
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// The signature rule. A signature sig of msg by id is valid when
//
//  1. id passes Check: a canonical encoding, not a small-order point;
//  2. sig is 64 bytes R ‖ S, R a canonical point encoding (same rule as
//     for keys; R may be of small order) and S < L, the group order;
//  3. the cofactored equation holds: [8][S]B = [8]R + [8][k]A with
//     k = SHA-512(R ‖ A ‖ msg) mod L.
//
// Every check of a peer's signature in gwyh (messages, handshakes, beacons)
// is this rule, through ID.Verify or BatchVerifier, which agree on every
// input. The cofactored equation is what makes that possible: a batch of
// random linear combinations can only check it, and a cofactorless single
// check (crypto/ed25519's) would reject a signature whose R carries a
// torsion component that a batch accepts, so two nodes that verified one
// message differently would disagree on it. Honest signers (crypto/ed25519,
// libp2p) always produce signatures valid under both equations, so the
// rule changes nothing for them; only a signature crafted with a torsioned
// R is accepted here and refused by a cofactorless verifier. The rule is
// RFC 8032 §5.1.7 with canonical encodings required (as FIPS 186-5 and
// libsodium do) and small-order keys refused (the keys anyone can sign for).

// verifyOptions selects the rule from curve25519-voi: it rejects small-order
// and non-canonical keys, non-canonical R and S ≥ L, and uses the cofactored
// equation, in single and batch verification alike. It is spelled out here
// rather than taken from the library's mutable default.
var verifyOptions = &voi.Options{Verify: &voi.VerifyOptions{AllowSmallOrderR: true}}

// SignatureSize is the size of a signature in bytes.
const SignatureSize = voi.SignatureSize

// Verify reports whether sig is id's valid signature of msg under the rule
// above. It is false for every id that fails Check, whatever the signature:
// anyone can sign for a small-order key.
func (id ID) Verify(msg, sig []byte) bool {
	if !precheck(id, sig) {
		return false
	}
	return voi.VerifyWithOptions(id[:], msg, sig, verifyOptions)
}

// Verify reports whether sig is id's valid ed25519 signature of msg.
func Verify(id ID, msg, sig []byte) bool { return id.Verify(msg, sig) }

// precheck applies the parts of the rule that need no point arithmetic:
// the key passes Check, the signature is 64 bytes and its R is a canonical
// encoding. (curve25519-voi checks them again; doing it here keeps the rule
// ours whatever the library's options mean.)
func precheck(id ID, sig []byte) bool {
	if len(sig) != SignatureSize || !id.Valid() {
		return false
	}
	return canonicalPoint(ID(sig[:IDSize]))
}

// canonicalPoint reports whether p is a canonical point encoding: y < p and
// no sign bit on x = 0 (y = ±1).
func canonicalPoint(p ID) bool {
	if !canonicalY(p) {
		return false
	}
	if p[31]&0x80 != 0 {
		p[31] &= 0x7f
		if p == smallOrder[0] || p == smallOrder[1] {
			return false
		}
	}
	return true
}

// Signed is one signature to verify: Sig should be ID's signature of Msg.
type Signed struct {
	ID  ID
	Msg []byte
	Sig []byte
}

// maxExpandedKeys bounds the expanded keys a BatchVerifier keeps (about
// 1.5 KiB each): enough for the authors of a busy topic, and a cost that
// stays under 100 KiB per verifier.
const maxExpandedKeys = 64

// BatchVerifier verifies many signatures at once under the rule of
// ID.Verify, with exactly its answers: a batch whose combined check fails
// is verified one signature at a time. All signatures valid, a batch of n
// costs about half of n single checks from n = 16 on (BenchmarkVerifyBatch).
// It keeps the expanded form (a table of multiples) of the keys whose
// signatures it verified, up to maxExpandedKeys, which saves a quarter of
// the cost of their next signatures. The zero value is ready to use; it
// keeps its buffers between calls. A BatchVerifier must not be used
// concurrently.
type BatchVerifier struct {
	v     *voi.BatchVerifier
	idx   []int                         // items index of each batch entry
	xs    []*voi.ExpandedPublicKey      // the key of each entry
	keys  map[ID]*voi.ExpandedPublicKey // keys with a verified signature
	fresh map[ID]*voi.ExpandedPublicKey // keys expanded by this call
}

// Verify sets ok[i] to items[i].ID.Verify(items[i].Msg, items[i].Sig) for
// every i and reports whether all are valid. ok must be at least as long
// as items. It keeps no reference to items after it returns. The batch's
// random coefficients come from crypto/rand, so that a signer cannot
// craft signatures that cancel out; the answers do not depend on them.
func (b *BatchVerifier) Verify(items []Signed, ok []bool) bool {
	ok = ok[:len(items)]
	if b.v == nil {
		b.v = voi.NewBatchVerifier()
		b.keys = map[ID]*voi.ExpandedPublicKey{}
		b.fresh = map[ID]*voi.ExpandedPublicKey{}
	}
	b.idx, b.xs = b.idx[:0], b.xs[:0]
	all := true
	for i := range items {
		it := &items[i]
		ok[i] = precheck(it.ID, it.Sig)
		if !ok[i] {
			all = false
			continue
		}
		b.idx = append(b.idx, i)
		b.xs = append(b.xs, b.expanded(it.ID))
	}
	switch len(b.idx) {
	case 0:
	case 1:
		// A batch of one costs more than a single check.
		it := &items[b.idx[0]]
		ok[b.idx[0]] = verifyExpanded(b.xs[0], it.Msg, it.Sig)
	default:
		b.v.Reset()
		for k, i := range b.idx {
			b.v.AddExpandedWithOptions(b.xs[k], items[i].Msg, items[i].Sig, verifyOptions)
		}
		// Verify falls back to checking each entry with the cofactored
		// equation, reusing what Add computed, when the batch fails.
		_, valid := b.v.Verify(nil)
		for k, i := range b.idx {
			ok[i] = valid[k]
		}
		b.v.Reset() // drop the references to items' memory
	}
	for k, i := range b.idx {
		all = all && ok[i]
		if ok[i] && b.fresh[items[i].ID] != nil {
			if len(b.keys) >= maxExpandedKeys {
				clear(b.keys)
			}
			b.keys[items[i].ID] = b.xs[k]
		}
	}
	clear(b.fresh)
	clear(b.xs)
	return all
}

// expanded returns id's expanded key: kept from an earlier call, or made
// now (nil when id is not a point, which no signature verifies for).
func (b *BatchVerifier) expanded(id ID) *voi.ExpandedPublicKey {
	if x := b.keys[id]; x != nil {
		return x
	}
	if x := b.fresh[id]; x != nil {
		return x
	}
	x, err := voi.NewExpandedPublicKey(id[:])
	if err != nil {
		return nil
	}
	b.fresh[id] = x
	return x
}

// verifyExpanded is the single check with an expanded key (nil: invalid).
func verifyExpanded(x *voi.ExpandedPublicKey, msg, sig []byte) bool {
	return x != nil && voi.VerifyExpandedWithOptions(x, msg, sig, verifyOptions)
}
