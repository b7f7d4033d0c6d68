package transport

import (
	"crypto/rand"
	"crypto/subtle"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/blake2s"
	"golang.org/x/crypto/chacha20poly1305"
)

// Handshake MACs and cookies after WireGuard (whitepaper §5.4.4, §5.4.7;
// wireguard-go device/cookie.go), adapted to XX where the initiator does not
// know the responder's static key: mac1 and the cookie encryption are keyed
// by the network key instead.
//
//   - mac1 = BLAKE2s-128(key: BLAKE2s-256("gwyh mac1" ‖ networkKey), packet
//     up to mac1) is always checked; it costs one hash and drops anything not
//     built by a holder of the network key (or anyone, without one).
//   - Under load, mac2 = BLAKE2s-128(key: cookie, packet up to mac2) must be
//     valid, where cookie = BLAKE2s-128(key: secret, source IP ‖ port) and the
//     secret rotates every cookieRotate. Otherwise the responder answers with
//     a cookie reply, XChaCha20-Poly1305(key: BLAKE2s-256("gwyh cookie" ‖
//     networkKey), ad: the packet's mac1), and does no DH work.

const cookieRotate = 2 * time.Minute

type cookieJar struct {
	mac1Key   [32]byte
	cookieKey [32]byte

	mu        sync.Mutex
	secret    [32]byte
	secretAt  time.Time
	oldSecret [32]byte // previous secret, so a cookie survives one rotation
}

func newCookieJar(networkKey []byte, now time.Time) *cookieJar {
	j := &cookieJar{
		mac1Key:   blake2s.Sum256(append([]byte("gwyh mac1"), networkKey...)),
		cookieKey: blake2s.Sum256(append([]byte("gwyh cookie"), networkKey...)),
	}
	j.rotate(now)
	return j
}

func mac128(key, msg []byte) (out [macSize]byte) {
	h, err := blake2s.New128(key)
	if err != nil {
		panic(err) // key length is always 16 or 32
	}
	h.Write(msg)
	h.Sum(out[:0])
	return out
}

// seal writes mac1 and mac2 into the last 32 bytes of pkt; cookie may be nil.
func (j *cookieJar) seal(pkt []byte, cookie []byte) {
	m1 := len(pkt) - handshakeMacsSize
	mac1 := mac128(j.mac1Key[:], pkt[:m1])
	copy(pkt[m1:], mac1[:])
	var mac2 [macSize]byte
	if cookie != nil {
		mac2 = mac128(cookie, pkt[:m1+macSize])
	}
	copy(pkt[m1+macSize:], mac2[:])
}

// checkMac1 reports whether pkt's mac1 is valid.
func (j *cookieJar) checkMac1(pkt []byte) bool {
	m1 := len(pkt) - handshakeMacsSize
	want := mac128(j.mac1Key[:], pkt[:m1])
	return subtle.ConstantTimeCompare(want[:], pkt[m1:m1+macSize]) == 1
}

// checkMac2 reports whether pkt carries a mac2 made with from's cookie.
func (j *cookieJar) checkMac2(pkt []byte, from netip.AddrPort) bool {
	m2 := len(pkt) - macSize
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

func cookieFor(secret [32]byte, from netip.AddrPort) [macSize]byte {
	b, _ := from.MarshalBinary()
	return mac128(secret[:], b)
}

// rotate replaces the secret if it is older than cookieRotate.
func (j *cookieJar) rotate(now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.secretAt.IsZero() && now.Sub(j.secretAt) < cookieRotate {
		return
	}
	j.oldSecret = j.secret
	_, _ = rand.Read(j.secret[:])
	j.secretAt = now
}

// reply builds the cookie reply to the handshake packet pkt from from,
// addressed to the initiator's index.
func (j *cookieJar) reply(pkt []byte, sender uint32, from netip.AddrPort) []byte {
	j.mu.Lock()
	c := cookieFor(j.secret, from)
	j.mu.Unlock()
	out := make([]byte, 8, cookieReplySize)
	out[0] = typeCookieReply
	out[4], out[5], out[6], out[7] = byte(sender), byte(sender>>8), byte(sender>>16), byte(sender>>24)
	var nonce [cookieNonceSize]byte
	_, _ = rand.Read(nonce[:])
	out = append(out, nonce[:]...)
	aead, _ := chacha20poly1305.NewX(j.cookieKey[:])
	m1 := len(pkt) - handshakeMacsSize
	return aead.Seal(out, nonce[:], c[:], pkt[m1:m1+macSize])
}

// openReply decrypts a cookie reply to our handshake packet sent (whose mac1
// is the associated data) and returns the cookie.
func (j *cookieJar) openReply(reply, sent []byte) ([]byte, error) {
	aead, _ := chacha20poly1305.NewX(j.cookieKey[:])
	m1 := len(sent) - handshakeMacsSize
	nonce := reply[8 : 8+cookieNonceSize]
	c, err := aead.Open(nil, nonce, reply[8+cookieNonceSize:], sent[m1:m1+macSize])
	if err != nil {
		return nil, errAuth
	}
	return c, nil
}
