package transport

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/flynn/noise"
	"golang.org/x/sys/cpu"

	"github.com/gwyh/gwyh/peer"
)

// Noise parameters: Noise_XX / Noise_IK over 25519, ChaChaPoly, BLAKE2s, with
// the network key as psk0 when set (so even the first message cannot be
// produced without it). The prologue binds the protocol version.
var (
	noiseSuite    = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashBLAKE2s)
	noisePrologue = []byte("gwyh transport v1")
	// staticSigPrefix separates the identity's signature over the Noise
	// static key from every other use of the ed25519 key.
	staticSigPrefix = []byte("gwyh noise static key v1:")
)

// idPayload is the handshake payload that binds a Noise static key to a
// peer.ID: id(32) sig(64) flags(1) timestamp(12). The signature covers
// staticSigPrefix ‖ static key. The timestamp (TAI64N-like: big-endian
// seconds and nanoseconds, strictly increasing per Conn) orders initiations
// from one identity, so replayed and stale ones are ignored.
const idPayloadSize = peer.IDSize + 64 + 1 + 12

const flagAES = 1 // the sender has AES hardware

type tai64n [12]byte

// after reports whether t is later than u: an initiation (IK msg1, XX msg3)
// must carry a timestamp after the last one accepted from its identity.
func (t tai64n) after(u tai64n) bool { return bytes.Compare(t[:], u[:]) > 0 }

// tsClock hands out strictly increasing timestamps.
type tsClock struct {
	mu   sync.Mutex
	last time.Time
}

// next returns the timestamp for an identity payload sent now: now, or one
// nanosecond past the last one handed out if now is not later.
func (c *tsClock) next(now time.Time) tai64n {
	c.mu.Lock()
	if !now.After(c.last) {
		now = c.last.Add(time.Nanosecond)
	}
	c.last = now
	c.mu.Unlock()
	var t tai64n
	binary.BigEndian.PutUint64(t[:], uint64(now.Unix())+(1<<62))
	binary.BigEndian.PutUint32(t[8:], uint32(now.Nanosecond()))
	return t
}

var hasAES = cpu.X86.HasAES || cpu.ARM64.HasAES || cpu.S390X.HasAES

// localID is this Conn's handshake identity.
type localID struct {
	id     *peer.Identity
	static noise.DHKey
	sig    []byte // identity signature over staticSigPrefix ‖ static.Public
	flags  byte
	ts     tsClock
}

// newLocalID draws a fresh Noise static key for id and signs it.
func newLocalID(id *peer.Identity) (*localID, error) {
	kp, err := noiseSuite.GenerateKeypair(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("transport: static key: %w", err)
	}
	l := &localID{id: id, static: kp}
	l.sig = id.Sign(append(append([]byte(nil), staticSigPrefix...), kp.Public...))
	if hasAES {
		l.flags = flagAES
	}
	return l, nil
}

// payload returns our identity payload, sent in every handshake message but
// XX msg1 (XX msg2 and msg3, IK msg1 and msg2), with a fresh timestamp.
func (l *localID) payload(now time.Time) []byte {
	b := make([]byte, 0, idPayloadSize)
	id := l.id.ID()
	b = append(b, id[:]...)
	b = append(b, l.sig...)
	b = append(b, l.flags)
	ts := l.ts.next(now)
	return append(b, ts[:]...)
}

// remoteID is a verified idPayload.
type remoteID struct {
	id    peer.ID
	flags byte
	ts    tai64n
}

// verifyPayload checks that b, the payload of a handshake message other
// than XX msg1, is an idPayload of the right size whose signature binds
// static, the sender's Noise static key. It does not check the timestamp
// (see checkRemote).
func verifyPayload(b, static []byte) (remoteID, error) {
	var r remoteID
	if len(b) != idPayloadSize || len(static) != 32 {
		return r, fmt.Errorf("%w: identity payload of %d bytes", errMalformed, len(b))
	}
	copy(r.id[:], b)
	sig := b[peer.IDSize : peer.IDSize+64]
	msg := append(append(make([]byte, 0, len(staticSigPrefix)+32), staticSigPrefix...), static...)
	if !r.id.Verify(msg, sig) {
		return r, fmt.Errorf("%w: identity signature", errAuth)
	}
	r.flags = b[peer.IDSize+64]
	copy(r.ts[:], b[peer.IDSize+65:])
	return r, nil
}

// negotiateCipher picks AES-256-GCM when both sides have AES hardware.
func negotiateCipher(local, remote byte) byte {
	if local&remote&flagAES != 0 {
		return cipherAESGCM
	}
	return cipherChaCha
}

// newNoise starts the Noise state of one handshake, before msg1 (XX or IK,
// as initiator or responder), with our static key, the prologue, and psk
// (the network key) as psk0 when set; an IK initiator passes the
// responder's static key as peerStatic. It checks nothing.
func newNoise(pattern byte, initiator bool, l *localID, psk, peerStatic []byte) (*noise.HandshakeState, error) {
	cfg := noise.Config{
		CipherSuite:   noiseSuite,
		Pattern:       noise.HandshakeXX,
		Initiator:     initiator,
		Prologue:      noisePrologue,
		StaticKeypair: l.static,
	}
	if pattern == patternIK {
		cfg.Pattern = noise.HandshakeIK
		cfg.PeerStatic = peerStatic
	}
	if psk != nil {
		cfg.PresharedKey = psk
		cfg.PresharedKeyPlacement = 0
	}
	return noise.NewHandshakeState(cfg)
}

// handshake is one handshake in progress, as initiator or responder.
type handshake struct {
	hs        *noise.HandshakeState
	pattern   byte
	initiator bool
	local     uint32 // our index for the session being made
	remote    uint32 // the peer's index, once known
	addr      netip.AddrPort
	created   time.Time
	expect    peer.ID         // initiator: the peer Dial wants (zero: any)
	msg       []byte          // initiator: the first message as sent (for cookie resends)
	waiter    chan dialResult // initiator: Dial's result channel, nil for rekeys

	source         netip.Addr // responder: the initiator's source (see halfOpens)
	hoPrev, hoNext *handshake // responder: neighbours in Conn.halfOpen
}

type dialResult struct {
	id  peer.ID
	err error
}

// splitKeys turns the Noise split, after the last message (XX msg3, IK
// msg2), into the data-plane ciphers: the initiator sends with the first.
func splitKeys(initiator bool, cs1, cs2 *noise.CipherState, cipherID byte) (send, recv aeadDir) {
	k1, k2 := cs1.UnsafeKey(), cs2.UnsafeKey()
	if !initiator {
		k1, k2 = k2, k1
	}
	return aeadDir{aead: newCipher(cipherID, k1)}, aeadDir{aead: newCipher(cipherID, k2)}
}

type noiseState = *noise.HandshakeState

// checkMac1 reports whether the handshake packet b (msg1, msg2 or msg3 of
// either pattern) carries a valid mac1, and counts the drop if not.
func (c *Conn) checkMac1(b []byte) bool {
	if !c.jar.CheckMac1(b) {
		c.stats.drop(DropAuth)
		return false
	}
	return true
}

// checkRemote verifies the identity payload of a handshake message (every
// message but XX msg1 carries one: XX msg2 and msg3, IK msg1 and msg2): that it binds static, the peer's Noise static key,
// to a peer ID by that ID's signature, and that the ID is not ours.
// Initiation payloads (IK msg1, XX msg3: timestamps from the initiator) must
// also be newer than the last one accepted from that ID, and are then
// recorded. It counts the drop when it fails.
func (c *Conn) checkRemote(payload, static []byte, initiation bool) (remoteID, bool) {
	rid, err := verifyPayload(payload, static)
	if err != nil {
		c.stats.drop(DropAuth)
		return rid, false
	}
	if rid.id == c.ID() {
		c.stats.drop(DropHandshakeUnexpected)
		return rid, false
	}
	if !initiation {
		return rid, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.known.Peek(rid.id); ok && !rid.ts.after(k.lastTS) {
		c.stats.drop(DropStaleHandshake)
		return rid, false
	}
	c.rememberLocked(rid.id, nil, &rid.ts)
	return rid, true
}

// takePending removes and returns our handshake with index idx if it has the
// wanted role and pattern (the message read next must belong to it).
func (c *Conn) takePending(idx uint32, initiator bool, pattern byte) *handshake {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.pending[idx]
	if hs == nil || hs.initiator != initiator || hs.pattern != pattern {
		return nil
	}
	c.dropPendingLocked(idx)
	return hs
}

// dropPendingLocked forgets the handshake with index idx. c.mu held.
func (c *Conn) dropPendingLocked(idx uint32) {
	if hs := c.pending[idx]; hs != nil {
		if !hs.initiator {
			c.halfOpen.remove(hs)
		}
		delete(c.pending, idx)
	}
}
