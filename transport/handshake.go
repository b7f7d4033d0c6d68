package transport

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
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
	staticSigPrefix = []byte("gwyh noise static key v2:")
)

// idPayload is the handshake payload that binds a Noise static key to a
// peer.ID and to one running instance of it:
//
//	id(32) sig(64) flags(1) epoch(8) timestamp(12)
//
// The signature covers staticSigPrefix ‖ static key ‖ epoch, so neither can be
// swapped without the identity's private key.
//
// The epoch (big-endian nanoseconds) names the instance: a Conn draws it at
// Listen, as max(wall clock, the last epoch drawn in this process + 1). A
// handshake proving a new static key for a peer that is up is a restart only
// if its epoch is greater than the live instance's (see checkRemote), so a
// captured initiation of an older instance cannot replace the current one.
//
// The timestamp (TAI64N-like: big-endian seconds + 2^62 and nanoseconds) is
// per instance strictly increasing, max(wall clock, last + 1 ns), counting
// the wall clock and never the monotonic one, so a wall-clock step back
// does not make it go back. It orders initiations of one instance, so
// replayed ones are ignored: it is recorded from the initiator's messages
// (IK msg1, XX msg3) and checked on IK msg1, the one initiation that can be
// replayed (see tsRule).
//
// idPayloadSize is the one definition of the payload's size: handshake
// sizes derive from it.
const idPayloadSize = peer.IDSize + 64 + 1 + 8 + 12

const flagAES = 1 // the sender has AES hardware

type tai64n [12]byte

// after reports whether t is later than u.
func (t tai64n) after(u tai64n) bool { return bytes.Compare(t[:], u[:]) > 0 }

// tsClock hands out strictly increasing timestamps.
type tsClock struct {
	mu   sync.Mutex
	last int64 // unix nanoseconds of the last timestamp handed out
}

// next returns the timestamp for an identity payload sent now: the wall
// clock, or one nanosecond past the last one handed out if the wall clock is
// not later (it stepped back, or the clock is coarse). It compares wall-clock
// readings: time.Time's After would compare the monotonic ones and let the
// timestamp follow a wall-clock step back.
func (c *tsClock) next(now time.Time) tai64n {
	c.mu.Lock()
	ns := max(now.UnixNano(), c.last+1)
	c.last = ns
	c.mu.Unlock()
	var t tai64n
	binary.BigEndian.PutUint64(t[:], uint64(ns/1e9)+(1<<62))
	binary.BigEndian.PutUint32(t[8:], uint32(ns%1e9))
	return t
}

// lastEpoch is the last instance epoch drawn in this process (see
// nextEpoch). It is process state by nature: it keeps the epochs of
// successive Conns of one identity in one process increasing even when they
// start within one clock tick or on mock clocks.
var lastEpoch atomic.Int64

// nextEpoch returns a new instance epoch: max(wall clock, last + 1) in
// nanoseconds.
func nextEpoch(now time.Time) uint64 {
	for {
		last := lastEpoch.Load()
		e := max(now.UnixNano(), last+1)
		if lastEpoch.CompareAndSwap(last, e) {
			return uint64(e)
		}
	}
}

var hasAES = cpu.X86.HasAES || cpu.ARM64.HasAES || cpu.S390X.HasAES

// localID is this Conn's handshake identity.
type localID struct {
	id     *peer.Identity
	static noise.DHKey
	epoch  uint64 // this instance's epoch (see idPayload)
	sig    []byte // identity signature over staticSigPrefix ‖ static.Public ‖ epoch
	flags  byte
	ts     tsClock
}

// newLocalID draws a fresh Noise static key and epoch for id and signs them.
func newLocalID(id *peer.Identity, now time.Time) (*localID, error) {
	kp, err := noiseSuite.GenerateKeypair(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("transport: static key: %w", err)
	}
	l := &localID{id: id, static: kp, epoch: nextEpoch(now)}
	l.sig = id.Sign(staticSigned(kp.Public, l.epoch))
	if hasAES {
		l.flags = flagAES
	}
	return l, nil
}

// staticSigned is what an identity payload's signature covers.
func staticSigned(static []byte, epoch uint64) []byte {
	b := make([]byte, 0, len(staticSigPrefix)+len(static)+8)
	b = append(append(b, staticSigPrefix...), static...)
	return binary.BigEndian.AppendUint64(b, epoch)
}

// payload returns our identity payload, sent in every handshake message but
// XX msg1 (XX msg2 and msg3, IK msg1 and msg2), with a fresh timestamp.
func (l *localID) payload(now time.Time) []byte {
	b := make([]byte, 0, idPayloadSize)
	id := l.id.ID()
	b = append(b, id[:]...)
	b = append(b, l.sig...)
	b = append(b, l.flags)
	b = binary.BigEndian.AppendUint64(b, l.epoch)
	ts := l.ts.next(now)
	return append(b, ts[:]...)
}

// remoteID is a verified idPayload.
type remoteID struct {
	id    peer.ID
	flags byte
	epoch uint64
	ts    tai64n
}

// verifyPayload checks that b, the payload of a handshake message other
// than XX msg1, is an idPayload of the right size whose signature binds
// static, the sender's Noise static key, and the epoch to a valid ID (see
// peer.ID.Verify, which refuses small-order and non-canonical keys). It
// checks neither epoch nor timestamp (see checkRemote).
func verifyPayload(b, static []byte) (remoteID, error) {
	var r remoteID
	if len(b) != idPayloadSize || len(static) != 32 {
		return r, fmt.Errorf("%w: identity payload of %d bytes", errMalformed, len(b))
	}
	copy(r.id[:], b)
	sig := b[peer.IDSize : peer.IDSize+64]
	r.flags = b[peer.IDSize+64]
	r.epoch = binary.BigEndian.Uint64(b[peer.IDSize+65:])
	if !r.id.Verify(staticSigned(static, r.epoch), sig) {
		return r, fmt.Errorf("%w: identity signature", errAuth)
	}
	copy(r.ts[:], b[peer.IDSize+73:])
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
// responder's static key as peerStatic. eph, when set, is the private
// ephemeral key msg1 is to carry (an initiator rebuilding its state, see
// initiatorState): flynn/noise draws the ephemeral key from Config.Random
// when it writes msg1, so eph is fed to it as the random source. It checks
// nothing.
func newNoise(pattern byte, initiator bool, l *localID, psk, peerStatic, eph []byte) (*noise.HandshakeState, error) {
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
	if eph != nil {
		cfg.Random = bytes.NewReader(eph)
	}
	if psk != nil {
		cfg.PresharedKey = psk
		cfg.PresharedKeyPlacement = 0
	}
	return noise.NewHandshakeState(cfg)
}

// handshake is one handshake in progress, as initiator or responder.
type handshake struct {
	hs        *noise.HandshakeState // responder: the state after msg2
	pattern   byte
	initiator bool
	local     uint32 // our index for the session being made
	remote    uint32 // the peer's index, once known
	addr      netip.AddrPort
	created   time.Time
	began     uint64 // on Conn.order: registered (initiator), msg1 read (responder)
	// key is the network key of the handshake: the primary when we
	// initiated, the one msg1's mac1 was made with when we respond. Every
	// message of the handshake is under it, whatever SetNetworkKeys does
	// meanwhile.
	key *netKey
	// Initiator only. The Noise state after msg1 is not kept: flynn/noise
	// changes it even when reading a message fails, so a forged msg2 would
	// spoil it. Each msg2 is read on a state rebuilt from msg1's ephemeral
	// key and payload instead (initiatorState).
	eph        []byte          // msg1's private ephemeral key
	payload    []byte          // msg1's payload (IK: our identity payload)
	peerStatic []byte          // IK: the responder's static key msg1 is encrypted to
	expect     peer.ID         // the peer Dial wants (zero: any)
	msg        []byte          // the first message as sent
	cookied    bool            // a cookie reply for this attempt was accepted
	waiter     chan dialResult // Dial's result channel, nil for rekeys

	// Responder only.
	source         netip.Addr // the initiator's source (see halfOpens)
	hoPrev, hoNext *handshake // neighbours in Conn.halfOpen
}

type dialResult struct {
	id  peer.ID
	err error
}

// splitKeys turns the Noise split, after the last message (XX msg3, IK
// msg2), into the data-plane ciphers: the initiator sends with the first.
// The key copies it makes are wiped once the ciphers are keyed (best effort,
// see keypair.retire).
func splitKeys(initiator bool, cs1, cs2 *noise.CipherState, cipherID byte) (send, recv aeadDir) {
	k1, k2 := cs1.UnsafeKey(), cs2.UnsafeKey()
	if !initiator {
		k1, k2 = k2, k1
	}
	send, recv = aeadDir{aead: newCipher(cipherID, k1)}, aeadDir{aead: newCipher(cipherID, k2)}
	clear(k1[:])
	clear(k2[:])
	return send, recv
}

type noiseState = *noise.HandshakeState

// checkMac1 reports whether the handshake packet b (msg2 or msg3 of either
// pattern, whose receiver index is idx) carries a valid mac1 under the
// network key of our handshake idx, or, when there is no such handshake,
// under any key of the keyring (so that the packet is then counted as
// DropUnknownSession, not DropAuth); it counts the drop if not.
func (c *Conn) checkMac1(b []byte, idx uint32) bool {
	c.mu.Lock()
	var key *netKey
	if hs := c.pending[idx]; hs != nil {
		key = hs.key
	}
	c.mu.Unlock()
	var ok bool
	if key != nil {
		ok = key.mac.CheckMac1(b)
	} else {
		ok = c.ring.Load().matchMac1(b) != nil
	}
	if !ok {
		c.stats.drop(DropAuth)
	}
	return ok
}

// initMac1 returns the key of the keyring under which msg1 b carries a
// valid mac1 (one hash per key), or nil, with the drop counted.
func (c *Conn) initMac1(b []byte) *netKey {
	k := c.ring.Load().matchMac1(b)
	if k == nil {
		c.stats.drop(DropAuth)
	}
	return k
}

// checkRemote verifies the identity payload of a handshake message (every
// message but XX msg1 carries one: XX msg2 and msg3, IK msg1 and msg2): that
// it binds static, the peer's Noise static key, and an epoch to a valid peer
// ID by that ID's signature, and that the ID is not ours. Then:
//
//   - For a peer that is up with another static key, the message is from
//     another instance: only one with a greater epoch (a restart) passes.
//   - The timestamp is checked or recorded as ts says.
//
// It records the instance (and the timestamp, see rememberLocked) and
// counts the drop when it fails.
func (c *Conn) checkRemote(payload, static []byte, ts tsRule) (remoteID, bool) {
	rid, err := verifyPayload(payload, static)
	if err != nil {
		c.stats.drop(DropAuth)
		return rid, false
	}
	if rid.id == c.ID() {
		c.stats.drop(DropHandshakeUnexpected)
		return rid, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.peers[rid.id]; p != nil && p.olderInstance(static, rid.epoch) {
		c.stats.drop(DropStaleHandshake)
		return rid, false
	}
	if k, ok := c.known.Peek(rid.id); ts == tsCheck && ok && bytes.Equal(k.static, static) && !rid.ts.after(k.lastTS) {
		c.stats.drop(DropStaleHandshake)
		return rid, false
	}
	var seen *tai64n
	if ts != tsIgnore {
		seen = &rid.ts
	}
	c.rememberLocked(rid.id, static, rid.epoch, seen)
	return rid, true
}

// tsRule is what checkRemote does with a handshake message's timestamp
// (see idPayload). Timestamps order the initiations of a peer instance,
// as in WireGuard; IK msg1 is the one message that can be replayed (every
// other one answers a fresh ephemeral key of ours).
type tsRule byte

const (
	// tsIgnore: msg2 (XX or IK), the responder's. Not recorded: it is not
	// ordered with the responder's own initiations, since in crossed
	// handshakes (crossed.go) the responder answers ours while its msg1 to
	// us is on the way, and we may read the answer first (packets reorder,
	// and the handshake worker takes up a msg1 after the reader handled
	// what followed it). Recorded, its newer timestamp would make that
	// msg1 look replayed, and the peer's Dial would wait a retry period.
	tsIgnore tsRule = iota
	// tsRecord: XX msg3, the initiator's, recorded but not checked, so
	// that a wall clock stepped back between the initiator's restarts
	// cannot lock it out.
	tsRecord
	// tsCheck: IK msg1 must be newer than the initiations seen from the
	// same instance, then it is recorded.
	tsCheck
)

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
		if !hs.initiator || hs.msg != nil { // else initiate is still building with it, and clears it
			clear(hs.eph) // best effort: the private ephemeral key is no longer needed
		}
		delete(c.pending, idx)
	}
}
