package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/transport"
)

// TestNetworkKeyRotation rotates the key of a live three-node cluster by
// the documented steps while messages flow: every message arrives, no peer
// is lost, Stats shows the sessions move to the new key, and afterwards a
// node holding only the old key cannot connect.
func TestNetworkKeyRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	tc := newTestCluster(t, 3, func(_ int, c *Config) { c.NetworkKeys = [][]byte{oldKey} })
	all := indices(3)
	tc.waitMeshes(all, 2)
	peers := func() []int {
		var n []int
		for _, nd := range tc.nodes {
			n = append(n, len(nd.Peers()))
		}
		return n
	}
	before := fmt.Sprint(peers())
	msg := uint32(0)
	step := func(name string, keys ...[]byte) {
		t.Helper()
		for i, n := range tc.nodes {
			if err := n.SetNetworkKeys(keys); err != nil {
				t.Fatalf("%s: node %d: %v", name, i, err)
			}
		}
		msg++
		tc.publish(int(msg)%3, msg)
		tc.waitAll(all, []uint32{msg}, 10*time.Second)
	}
	onKey := func(n *Node, key []byte) int {
		st, _ := n.Stats()
		for _, k := range st.NetworkKeys {
			if k.ID == transport.NetworkKeyID(key) {
				return k.Sessions
			}
		}
		return 0
	}
	step("add the new key", oldKey, newKey)
	step("make it primary", newKey, oldKey)
	for i, n := range tc.nodes {
		testkit.Eventually(t, 20*time.Second, fmt.Sprintf("node %d off the old key", i), func() bool {
			return onKey(n, oldKey) == 0 && onKey(n, newKey) > 0
		})
		st, _ := n.Stats()
		for _, p := range st.Peers {
			if p.NetworkKeyID != transport.NetworkKeyID(newKey) {
				t.Fatalf("node %d: peer %s on key %q", i, p.ID.Short(), p.NetworkKeyID)
			}
		}
	}
	step("remove the old key", newKey)
	if after := fmt.Sprint(peers()); after != before {
		t.Fatalf("peers per node %s before the rotation, %s after", before, after)
	}

	stale := startNodes(t, 1, func(_ int, c *Config) {
		*c = testConfig(t, 60)
		c.NetworkKeys = [][]byte{oldKey}
	})[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := stale.Connect(ctx, tc.nodes[0].Addr().String()); !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("Connect with the removed key: %v, want ErrHandshake", err)
	}
}

func TestSetNetworkKeysRefusesBadKeyring(t *testing.T) {
	n := startNodes(t, 1, nil)[0]
	err := n.SetNetworkKeys([][]byte{make([]byte, 32), make([]byte, 3)})
	var ce *ConfigError
	if !errors.Is(err, ErrConfig) || !errors.As(err, &ce) || ce.Field != "NetworkKeys" {
		t.Fatalf("SetNetworkKeys: %v, want a ConfigError for NetworkKeys", err)
	}
	st, _ := n.Stats()
	if len(st.NetworkKeys) != 1 || st.NetworkKeys[0].ID != "" {
		t.Fatalf("keyring changed by a refused call: %+v", st.NetworkKeys)
	}
	n.Close()
	if err := n.SetNetworkKeys(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}
