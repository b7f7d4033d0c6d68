package peer

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Go's crypto/ed25519 verifies with the cofactorless equation and accepts
// any encoding of a public key that decodes to a curve point. For a key A of
// small order (8·A = 0, one of the 8 points of the torsion subgroup, the
// all-zero ID among them) the equation [S]B = R + [k]A holds for R = [S]B
// whenever [k]A = 0, which an attacker gets by grinding R: anyone can sign as
// such an ID. Non-canonical encodings (y ≥ p, or x = 0 with the sign bit
// set) give one point several IDs. Check rejects both, as RFC 8032 §5.1.3
// decoding and the "strict" verifiers (libsodium, ed25519-zebra) do. IDs are
// public, so the comparisons need not be constant-time.

// smallOrder lists the canonical encodings of the 8 points of order 1, 2, 4
// and 8 (libsodium's blocklist; TestSmallOrderIDRejected derives them from
// the curve). Their other encodings are non-canonical and rejected as such.
var smallOrder = func() (ids [8]ID) {
	for i, h := range [8]string{
		"0100000000000000000000000000000000000000000000000000000000000000", // identity (0, 1)
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1): order 2
		"0000000000000000000000000000000000000000000000000000000000000000", // order 4; the zero ID
		"0000000000000000000000000000000000000000000000000000000000000080", // order 4
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	} {
		if _, err := hex.Decode(ids[i][:], []byte(h)); err != nil {
			panic(err)
		}
	}
	return ids
}()

// Check reports whether id may be accepted as a peer's ID: it must be a
// canonical encoding (RFC 8032 §5.1.2: y < p, and no sign bit on x = 0) and
// not one of the 8 points of small order. Its error wraps ErrBadID and says
// which rule failed. Every ID taken from the network or from text goes
// through it: Decode and IDFromBytes return its error, and Verify is false
// for an ID that fails it. Keys made by NewIdentity always pass. It costs a
// few comparisons, no point arithmetic.
//
// Bytes that are not a curve point at all pass Check; no signature verifies
// for them (crypto/ed25519 rejects them), so nobody can act as such an ID.
// Check does not require the prime-order subgroup either: a key with a
// small-order component is as hard to sign for as its prime-order part.
func (id ID) Check() error {
	if !canonicalY(id) {
		return fmt.Errorf("%w: %s is a non-canonical encoding (y ≥ p)", ErrBadID, id.Short())
	}
	// x = 0 only for y = ±1, whose canonical encodings have the sign bit clear.
	if id[31]&0x80 != 0 {
		y := id
		y[31] &= 0x7f
		if y == smallOrder[0] || y == smallOrder[1] {
			return fmt.Errorf("%w: %s is a non-canonical encoding (x = 0, sign set)", ErrBadID, id.Short())
		}
	}
	for i := range smallOrder {
		if id == smallOrder[i] {
			return fmt.Errorf("%w: %s is a small-order point", ErrBadID, id.Short())
		}
	}
	return nil
}

// Valid reports whether id passes Check.
func (id ID) Valid() bool { return id.Check() == nil }

// canonicalY reports whether the y coordinate of the encoding (its low 255
// bits, little-endian) is below p = 2^255 - 19.
func canonicalY(id ID) bool {
	// y ≥ p iff y ∈ [2^255-19, 2^255-1]: bits 64..254 all ones and the low
	// 64 bits at least 2^64-19.
	hi := binary.LittleEndian.Uint64(id[24:]) & (1<<63 - 1)
	if hi != 1<<63-1 {
		return true
	}
	if binary.LittleEndian.Uint64(id[16:]) != ^uint64(0) || binary.LittleEndian.Uint64(id[8:]) != ^uint64(0) {
		return true
	}
	lo := binary.LittleEndian.Uint64(id[:])
	return lo < ^uint64(0)-18
}
