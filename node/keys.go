package node

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gwyh/gwyh/transport"
)

// networkKeys is the node's network keyring as the LAN beacons use it:
// beacons are MACed under the first (primary) key, and a beacon MACed
// under any key is accepted. Replaced whole by SetNetworkKeys; safe for
// concurrent use. nil or empty: no network key.
type networkKeys struct {
	p  atomic.Pointer[[][]byte]
	mu sync.Mutex // serialises SetNetworkKeys, so the transport and p agree
}

func (k *networkKeys) set(keys [][]byte) {
	cp := make([][]byte, len(keys))
	for i, key := range keys {
		cp[i] = bytes.Clone(key)
	}
	k.p.Store(&cp)
}

func (k *networkKeys) get() [][]byte {
	if p := k.p.Load(); p != nil {
		return *p
	}
	return nil
}

// keyring returns the keyring NetworkKey and NetworkKeys give.
func (c *Config) keyring() [][]byte {
	if c.NetworkKey != nil {
		return [][]byte{c.NetworkKey}
	}
	return c.NetworkKeys
}

// keyringProblems checks keys as the transport does and returns one
// *ConfigError for field per problem.
func keyringProblems(field string, keys [][]byte) []error {
	err := transport.ValidateNetworkKeys(keys)
	if err == nil {
		return nil
	}
	var errs []error
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		problem := strings.TrimPrefix(e.Error(), transport.ErrConfig.Error()+": ")
		errs = append(errs, &ConfigError{Field: field, Problem: problem, Err: e})
	}
	return errs
}

// SetNetworkKeys replaces the node's network keyring at run time: keys[0]
// (the primary) is the key the node handshakes with and MACs its LAN
// beacons under; every key in keys is accepted from other nodes. nil or
// empty means no network key. Each key has 32 bytes, no two the same, at
// most transport.MaxNetworkKeys; otherwise it returns *ConfigErrors
// (wrapping ErrConfig) and nothing changed.
//
// Sessions with peers go on, except those made with a key no longer in
// keys, which end; those made with an accepted key other than the primary
// are rekeyed onto the primary (see transport.Conn.SetNetworkKeys). To
// rotate a cluster's key without downtime, do each step on every node
// before the next: (1) SetNetworkKeys({old, new}); (2) SetNetworkKeys({new,
// old}); (3) once no node's Stats().NetworkKeys shows a session on the old
// key, SetNetworkKeys({new}).
func (n *Node) SetNetworkKeys(keys [][]byte) error {
	if errs := keyringProblems("NetworkKeys", keys); errs != nil {
		return errors.Join(errs...)
	}
	if n.closed.Load() {
		return ErrClosed
	}
	n.netKeys.mu.Lock()
	defer n.netKeys.mu.Unlock()
	if err := n.conn.SetNetworkKeys(keys); err != nil {
		return &ConfigError{Field: "NetworkKeys", Problem: err.Error(), Err: err} // checked above: not reached
	}
	n.netKeys.set(keys)
	n.log.Info("network keys replaced", "primary", transport.NetworkKeyID(firstKey(keys)), "keys", len(keys))
	return nil
}

func firstKey(keys [][]byte) []byte {
	if len(keys) == 0 {
		return nil
	}
	return keys[0]
}
