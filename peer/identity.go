package peer

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// pemType is the PEM block type of an identity file. The block holds the
// 32-byte ed25519 seed.
const pemType = "GWYH ED25519 PRIVATE KEY"

// ErrBadIdentityFile is returned (wrapped) by LoadIdentity for a file that
// exists but cannot be used: wrong permissions or content.
var ErrBadIdentityFile = errors.New("peer: bad identity file")

// Identity is an ed25519 key pair: the private half signs, the public half is
// the peer's ID. An Identity is immutable and safe for concurrent use.
type Identity struct {
	priv ed25519.PrivateKey
	id   ID
}

// NewIdentity returns a fresh random Identity.
func NewIdentity() (*Identity, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("peer: generate key: %w", err)
	}
	return identityFromPrivate(priv), nil
}

// IdentityFromSeed returns the Identity derived from a 32-byte ed25519 seed.
// The same seed always gives the same Identity, which tests and the
// simulator use for reproducible IDs.
func IdentityFromSeed(seed []byte) (*Identity, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("peer: seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return identityFromPrivate(ed25519.NewKeyFromSeed(seed)), nil
}

func identityFromPrivate(priv ed25519.PrivateKey) *Identity {
	ident := &Identity{priv: priv}
	copy(ident.id[:], priv.Public().(ed25519.PublicKey))
	return ident
}

// LoadIdentity reads the identity in the file at path. When no file is
// there, it creates one with a new identity, readable by its owner only
// (mode 0600). It refuses a file that others may read or write, and one
// whose content is not an identity, with an error wrapping
// ErrBadIdentityFile that says which.
func LoadIdentity(path string) (*Identity, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createIdentity(path)
	}
	if err != nil {
		return nil, fmt.Errorf("peer: identity file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadIdentityFile, path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; it holds a private key, so allow its owner only (chmod 600)", ErrBadIdentityFile, path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("peer: identity file: %w", err)
	}
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: %s holds no PEM block", ErrBadIdentityFile, path)
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("%w: %s holds a %q block, want %q", ErrBadIdentityFile, path, block.Type, pemType)
	}
	if len(block.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s holds a %d-byte key, want %d", ErrBadIdentityFile, path, len(block.Bytes), ed25519.SeedSize)
	}
	if len(pemTrim(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s has trailing data after the key", ErrBadIdentityFile, path)
	}
	return IdentityFromSeed(block.Bytes)
}

func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// createIdentity writes a new identity to path, failing if a file appeared
// there in the meantime.
func createIdentity(path string) (*Identity, error) {
	ident, err := NewIdentity()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("peer: identity file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("peer: create identity file: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: ident.priv.Seed()})
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("peer: write identity file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("peer: write identity file: %w", err)
	}
	return ident, nil
}

// ID returns the identity's peer ID, its public key.
func (i *Identity) ID() ID { return i.id }

// PrivateKey returns the ed25519 private key. The caller must not modify it.
func (i *Identity) PrivateKey() ed25519.PrivateKey { return i.priv }

// Sign returns the ed25519 signature of msg.
func (i *Identity) Sign(msg []byte) []byte { return ed25519.Sign(i.priv, msg) }

// Verify reports whether sig is this identity's valid signature of msg.
func (i *Identity) Verify(msg, sig []byte) bool { return i.id.Verify(msg, sig) }
