// Package cookie is the handshake MACs and the cookie of the WireGuard paper
// (Donenfeld, "WireGuard: Next Generation Kernel Network Tunnel", NDSS 2017:
// §5.3 denial-of-service mitigation and cookies, §5.4.4 cookie MACs, §5.4.7
// the cookie reply message), adapted for package transport, whose Noise XX
// initiator does not know the responder's static key: mac1 and the cookie
// encryption are keyed by the network key instead of the responder's public
// key.
//
//   - mac1 = BLAKE2s-128(key: BLAKE2s-256("gwyh mac1" ‖ networkKey), packet
//     up to mac1) is always checked; it costs one hash and drops anything not
//     built by a holder of the network key (or anyone, without one).
//   - Under load, mac2 = BLAKE2s-128(key: cookie, packet up to mac2) must be
//     valid, where cookie = BLAKE2s-128(key: secret, source IP ‖ port) and the
//     secret rotates every two minutes. Otherwise the responder answers with
//     a cookie reply, XChaCha20-Poly1305(key: BLAKE2s-256("gwyh cookie" ‖
//     networkKey), ad: the packet's mac1), and does no DH work.
//
// A responder may accept several network keys (a keyring): it finds the
// one an initiation was made with by checking mac1 under each (one hash
// per key, no DH), and answers under that key. The cookie secret is one
// per Jar, whatever the keys.
//
// It is for package transport only.
package cookie

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/blake2s"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	// MacSize is the size of mac1 and of mac2.
	MacSize = 16
	// MacsSize is the size of the mac1 ‖ mac2 trailer of a handshake packet.
	MacsSize = 2 * MacSize
	// NonceSize is the size of a cookie reply's nonce.
	NonceSize = chacha20poly1305.NonceSizeX
	// Size is the size of a cookie.
	Size = 16
	// ReplySize is the size of what AppendReply appends: nonce ‖ sealed
	// cookie ‖ tag.
	ReplySize = NonceSize + Size + chacha20poly1305.Overhead

	// rotateAfter is the secret's lifetime (Cookie-Refresh-Time in the
	// WireGuard paper, §6).
	rotateAfter = 2 * time.Minute
)

// ErrReply: a cookie reply did not authenticate against the packet it
// answers. Nothing changed.
var ErrReply = errors.New("cookie: reply does not authenticate")

// Key holds what one network key keys: mac1 and the encryption of cookie
// replies. A Conn accepting several network keys (a keyring) holds one Key
// per network key; the responder learns which one an initiator used by
// checking mac1 against each, and answers under the same. A Key is
// immutable and safe for concurrent use.
type Key struct {
	mac1Key   [32]byte
	cookieKey [32]byte
}

// NewKey returns the Key of networkKey (nil: no network key).
func NewKey(networkKey []byte) *Key {
	return &Key{
		mac1Key:   blake2s.Sum256(append([]byte("gwyh mac1"), networkKey...)),
		cookieKey: blake2s.Sum256(append([]byte("gwyh cookie"), networkKey...)),
	}
}

// Jar holds the rotating secret that cookies are made from and checks mac2.
// All methods are safe for concurrent use. Packets passed in are handshake
// packets that end in mac1 ‖ mac2 (MacsSize bytes); the caller checks their
// length. The secret does not depend on the network key: replacing the
// keys (see Key) leaves cookies valid.
type Jar struct {
	mu        sync.Mutex
	secret    [32]byte
	secretAt  time.Time
	oldSecret [32]byte // previous secret, so a cookie survives one rotation
}

// New returns a Jar with a fresh secret.
func New(now time.Time) *Jar {
	j := &Jar{}
	j.Rotate(now)
	return j
}

func mac128(key, msg []byte) (out [MacSize]byte) {
	h, err := blake2s.New128(key)
	if err != nil {
		panic(err) // key length is always 16 or 32
	}
	h.Write(msg)
	h.Sum(out[:0])
	return out
}

// Seal writes mac1 (under k) and mac2 into the last MacsSize bytes of pkt;
// with a nil cookie mac2 is zero.
func (k *Key) Seal(pkt []byte, cookie []byte) {
	m1 := len(pkt) - MacsSize
	mac1 := mac128(k.mac1Key[:], pkt[:m1])
	copy(pkt[m1:], mac1[:])
	var mac2 [MacSize]byte
	if cookie != nil {
		mac2 = mac128(cookie, pkt[:m1+MacSize])
	}
	copy(pkt[m1+MacSize:], mac2[:])
}

// CheckMac1 reports whether pkt's mac1 is valid under k.
func (k *Key) CheckMac1(pkt []byte) bool {
	m1 := len(pkt) - MacsSize
	want := mac128(k.mac1Key[:], pkt[:m1])
	return subtle.ConstantTimeCompare(want[:], pkt[m1:m1+MacSize]) == 1
}

// CheckMac2 reports whether pkt carries a mac2 made with the cookie of from,
// under the current or the previous secret.
func (j *Jar) CheckMac2(pkt []byte, from netip.AddrPort) bool {
	m2 := len(pkt) - MacSize
	j.mu.Lock()
	cur, old := j.secret, j.oldSecret
	j.mu.Unlock()
	for _, s := range [][32]byte{cur, old} {
		c := cookieFor(s, from)
		want := mac128(c[:], pkt[:m2])
		if subtle.ConstantTimeCompare(want[:], pkt[m2:]) == 1 {
			return true
		}
	}
	return false
}

func cookieFor(secret [32]byte, from netip.AddrPort) [Size]byte {
	b, _ := from.MarshalBinary()
	return mac128(secret[:], b)
}

// Rotate replaces the secret if it is older than two minutes.
func (j *Jar) Rotate(now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.secretAt.IsZero() && now.Sub(j.secretAt) < rotateAfter {
		return
	}
	j.oldSecret = j.secret
	_, _ = rand.Read(j.secret[:])
	j.secretAt = now
}

// AppendReply appends to dst the body of a cookie reply to the handshake
// packet pkt from from (nonce ‖ the cookie of from, sealed under k, the Key
// whose mac1 pkt carries, ReplySize bytes) and returns the extended buffer.
// The caller writes the reply's header.
func (j *Jar) AppendReply(dst, pkt []byte, from netip.AddrPort, k *Key) []byte {
	j.mu.Lock()
	c := cookieFor(j.secret, from)
	j.mu.Unlock()
	var nonce [NonceSize]byte
	_, _ = rand.Read(nonce[:])
	dst = append(dst, nonce[:]...)
	aead, _ := chacha20poly1305.NewX(k.cookieKey[:])
	m1 := len(pkt) - MacsSize
	return aead.Seal(dst, nonce[:], c[:], pkt[m1:m1+MacSize])
}

// OpenReply opens body, the ReplySize bytes after a cookie reply's header,
// answering our handshake packet sent (sealed under k; its mac1 is the
// associated data), and returns the cookie, newly allocated, or ErrReply.
func (k *Key) OpenReply(body, sent []byte) ([]byte, error) {
	aead, _ := chacha20poly1305.NewX(k.cookieKey[:])
	m1 := len(sent) - MacsSize
	c, err := aead.Open(nil, body[:NonceSize], body[NonceSize:], sent[m1:m1+MacSize])
	if err != nil {
		return nil, ErrReply
	}
	return c, nil
}
