package peer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// IDSize is the size of an ID in bytes: one ed25519 public key.
const IDSize = ed25519.PublicKeySize

// idTextLen is the length of an ID's text form: 32 bytes in unpadded base32.
const idTextLen = 52

// ID identifies a peer: the ed25519 public key of its Identity. The zero ID
// identifies no peer. IDs are comparable and may be used as map keys.
type ID [IDSize]byte

// ErrBadID is returned (wrapped) by Decode and IDFromBytes for text or bytes
// that are not an ID.
var ErrBadID = errors.New("peer: bad peer id")

// idEncoding is lower-case base32 without padding: 52 characters, safe in
// file names, URLs and the `<peer-id>@host:port` bootstrap syntax.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// String returns the ID's text form: 52 characters of lower-case base32,
// which Decode parses back.
func (id ID) String() string {
	return idEncoding.EncodeToString(id[:])
}

// Short returns the first 8 characters of the text form, for logs and tables.
// It is not unique and cannot be decoded.
func (id ID) Short() string {
	return id.String()[:8]
}

// Compare orders IDs by their bytes: -1 if id < o, 0 if equal, +1 if
// id > o. Everything that must list peers in a stable order sorts with it.
func (id ID) Compare(o ID) int { return bytes.Compare(id[:], o[:]) }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool {
	return id == ID{}
}

// PublicKey returns the ed25519 public key that id is. The returned slice is
// a copy.
func (id ID) PublicKey() ed25519.PublicKey {
	k := make(ed25519.PublicKey, IDSize)
	copy(k, id[:])
	return k
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (id ID) MarshalText() ([]byte, error) {
	return []byte(id.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Decode.
func (id *ID) UnmarshalText(b []byte) error {
	d, err := Decode(string(b))
	if err != nil {
		return err
	}
	*id = d
	return nil
}

// Decode parses the text form written by ID.String. Upper-case letters are
// accepted; anything else that is not exactly 52 base32 characters encoding
// 32 bytes, or whose bytes fail ID.Check (a small-order or non-canonical
// key, the zero ID among them), is an error wrapping ErrBadID.
func Decode(s string) (ID, error) {
	var id ID
	if len(s) != idTextLen {
		return id, fmt.Errorf("%w: %q has %d characters, want %d", ErrBadID, truncate(s), len(s), idTextLen)
	}
	var buf [IDSize + 1]byte
	n, err := idEncoding.Decode(buf[:], []byte(strings.ToLower(s)))
	if err != nil || n != IDSize {
		return id, fmt.Errorf("%w: %q is not base32", ErrBadID, truncate(s))
	}
	copy(id[:], buf[:IDSize])
	// 52 characters carry 260 bits; the last 4 must be zero for the text to
	// be the canonical form of the 256-bit key.
	if id.String() != strings.ToLower(s) {
		return ID{}, fmt.Errorf("%w: %q is not in canonical form", ErrBadID, truncate(s))
	}
	if err := id.Check(); err != nil {
		return ID{}, err
	}
	return id, nil
}

// IDFromBytes returns the ID held in b, which must be exactly IDSize bytes
// that pass ID.Check; otherwise the error wraps ErrBadID.
func IDFromBytes(b []byte) (ID, error) {
	var id ID
	if len(b) != IDSize {
		return id, fmt.Errorf("%w: %d bytes, want %d", ErrBadID, len(b), IDSize)
	}
	copy(id[:], b)
	if err := id.Check(); err != nil {
		return ID{}, err
	}
	return id, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
