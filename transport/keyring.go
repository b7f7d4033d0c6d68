package transport

// The network keyring: the network keys a Conn accepts, one of which (the
// primary) it initiates with. A responder finds the key an initiation was
// made with by checking its mac1 under each key (one BLAKE2s hash per key,
// no Diffie-Hellman), then reads the Noise message with that key as psk0
// and answers under it (msg2, cookie reply); the rest of the handshake
// stays on that key. Data packets do not involve the network key. Sessions
// remember the key that made them, so that Conn.NetworkKeyStats can show
// when a key is no longer in use. See SetNetworkKeys for rotation.

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/blake2s"

	"github.com/gwyh/gwyh/transport/internal/cookie"
)

// MaxNetworkKeys is the most keys a network keyring holds: a responder
// checks an initiation's mac1 under each, so every key costs one hash per
// handshake packet.
const MaxNetworkKeys = 8

// NetworkKeySize is the size of a network key, in bytes.
const NetworkKeySize = 32

// netKey is one network key of a keyring and what is derived from it. A
// netKey is shared by successive keyrings that hold the same key (see
// newKeyring), so that its counter and the sessions made with it carry
// over a SetNetworkKeys.
type netKey struct {
	psk        []byte      // the key, the Noise psk0; nil: no network key
	mac        *cookie.Key // mac1 and cookie replies under this key
	id         string      // NetworkKeyID(psk)
	handshakes atomic.Uint64
}

// keyring is an immutable set of accepted network keys. keys[0] is the
// primary; a keyring without network keys holds one netKey with a nil psk.
type keyring struct {
	keys []*netKey
	// since is when this keyring replaced the previous one (zero for the
	// one Listen made): sessions older than it on a key other than the
	// primary are rekeyed with the primary (see rekeyForKey).
	since time.Time
}

// newKeyring builds the keyring of keys (already validated), reusing the
// netKeys of prev for the keys it also holds.
func newKeyring(keys [][]byte, prev *keyring, now time.Time) *keyring {
	r := &keyring{since: now}
	if len(keys) == 0 {
		keys = [][]byte{nil}
	}
	for _, k := range keys {
		r.keys = append(r.keys, prev.find(k))
	}
	return r
}

// find returns r's netKey of key, or a new one if r (which may be nil) does
// not hold key.
func (r *keyring) find(key []byte) *netKey {
	if r != nil {
		for _, k := range r.keys {
			if (k.psk == nil) == (key == nil) && bytes.Equal(k.psk, key) {
				return k
			}
		}
	}
	k := &netKey{mac: cookie.NewKey(key)}
	if key != nil {
		k.psk = bytes.Clone(key)
		k.id = NetworkKeyID(key)
	}
	return k
}

// primary is the key handshakes are initiated with.
func (r *keyring) primary() *netKey { return r.keys[0] }

// has reports whether k is one of r's keys.
func (r *keyring) has(k *netKey) bool {
	for _, x := range r.keys {
		if x == k {
			return true
		}
	}
	return false
}

// matchMac1 returns the key under which the handshake packet pkt carries a
// valid mac1, or nil: one hash per key.
func (r *keyring) matchMac1(pkt []byte) *netKey {
	for _, k := range r.keys {
		if k.mac.CheckMac1(pkt) {
			return k
		}
	}
	return nil
}

// NetworkKeyID returns a short fingerprint of a network key (16 hex
// digits of a BLAKE2s hash under a domain separator), to name the key in
// stats and logs without revealing it. "" for a nil key.
func NetworkKeyID(key []byte) string {
	if key == nil {
		return ""
	}
	h := blake2s.Sum256(append([]byte("gwyh network key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}

// ValidateNetworkKeys checks a network keyring: at most MaxNetworkKeys keys,
// each of NetworkKeySize bytes, no two the same. An empty keyring (no
// network key) is valid. Every problem is reported (errors.Join), each
// wrapping ErrConfig.
func ValidateNetworkKeys(keys [][]byte) error {
	var errs []error
	if len(keys) > MaxNetworkKeys {
		errs = append(errs, fmt.Errorf("%w: %d network keys, at most %d", ErrConfig, len(keys), MaxNetworkKeys))
	}
	for i, k := range keys {
		if len(k) != NetworkKeySize {
			errs = append(errs, fmt.Errorf("%w: network key %d has %d bytes, want %d", ErrConfig, i, len(k), NetworkKeySize))
			continue
		}
		for j := range i {
			if bytes.Equal(keys[j], k) {
				errs = append(errs, fmt.Errorf("%w: network key %d repeats key %d", ErrConfig, i, j))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// NetworkKeyStats describe one key of a Conn's network keyring. A snapshot;
// read-only.
type NetworkKeyStats struct {
	// ID is the key's fingerprint (NetworkKeyID); "" for "no network key".
	ID string
	// Primary: handshakes this Conn initiates use this key.
	Primary bool
	// Sessions is the number of peers whose current session was made with
	// this key.
	Sessions int
	// Handshakes counts the handshakes completed with this key (either
	// role) since it entered the keyring.
	Handshakes uint64
}

// SetNetworkKeys replaces the network keyring: keys[0] becomes the primary
// (the key this Conn initiates handshakes with) and every key in keys is
// accepted from initiators; nil or empty means no network key. keys is
// checked as ValidateNetworkKeys does; on error nothing changed. The keys
// are copied.
//
// Sessions are not interrupted, with two exceptions that follow from what
// the keyring means. A current session made with a key that is no longer
// in keys ends (at the next tick, with a bye and EventPeerDown, as by
// Disconnect): the peer proved only a key that is no longer accepted. A
// current session made with a key that is still accepted but not the
// primary is rekeyed with the primary at once (if the peer does not hold
// it, the rekey fails and the session goes on until a later rekey or its
// RejectAfterTime). Handshakes in progress finish on the key they started
// with. Cookies stay valid.
//
// Rotating a cluster's key without downtime takes three steps, each done
// on every node before the next begins:
//
//  1. add the new key as accepted: SetNetworkKeys({old, new});
//  2. make it the primary: SetNetworkKeys({new, old}) (sessions on the old
//     key are rekeyed with the new one);
//  3. once NetworkKeyStats shows no session on the old key on any node,
//     remove it: SetNetworkKeys({new}).
//
// After step 3 a node holding only the old key can no longer handshake.
// Safe for concurrent use.
func (c *Conn) SetNetworkKeys(keys [][]byte) error {
	if err := ValidateNetworkKeys(keys); err != nil {
		return err
	}
	c.ringMu.Lock()
	defer c.ringMu.Unlock()
	c.ring.Store(newKeyring(keys, c.ring.Load(), c.clock.Now()))
	c.log.Debug("transport: network keys replaced", "primary", NetworkKeyID(firstKey(keys)), "keys", len(keys))
	return nil
}

func firstKey(keys [][]byte) []byte {
	if len(keys) == 0 {
		return nil
	}
	return keys[0]
}

// NetworkKeyStats returns the keys of the network keyring, primary first,
// with the sessions and handshakes made with each. Without a network key
// it returns one entry with an empty ID. Safe for concurrent use.
func (c *Conn) NetworkKeyStats() []NetworkKeyStats {
	r := c.ring.Load()
	out := make([]NetworkKeyStats, len(r.keys))
	for i, k := range r.keys {
		out[i] = NetworkKeyStats{ID: k.id, Primary: i == 0, Handshakes: k.handshakes.Load()}
	}
	c.mu.Lock()
	for _, p := range c.peers {
		p.mu.Lock()
		if p.current != nil {
			for i, k := range r.keys {
				if p.current.netKey == k {
					out[i].Sessions++
				}
			}
		}
		p.mu.Unlock()
	}
	c.mu.Unlock()
	return out
}

// rekeyFor reports whether a session made with key k at created is to be
// rekeyed with the primary: k is accepted but not the primary, and the
// keyring changed since the session was made. Sessions made later on
// another key are the peer's choice (its primary) and are left alone, so
// that two nodes with different primaries do not rekey each other in
// turn; the peer rekeys them when its own keyring changes.
func (r *keyring) rekeyFor(k *netKey, created time.Time) bool {
	return k != nil && k != r.primary() && r.has(k) && created.Before(r.since)
}

// endForKey ends p's session, as Disconnect does (a bye, then
// EventPeerDown), if its current keypair was made with a network key that
// the keyring no longer holds (see SetNetworkKeys), and reports whether it
// did.
func (c *Conn) endForKey(p *peerState) bool {
	r := c.ring.Load()
	p.mu.Lock()
	kp := p.current
	end := kp != nil && kp.netKey != nil && !r.has(kp.netKey)
	p.mu.Unlock()
	if !end {
		return false
	}
	c.log.Debug("transport: session on a removed network key ended", "peer", p.id.Short(), "key", kp.netKey.id)
	c.sendBye(p)
	c.removePeer(p)
	return true
}
