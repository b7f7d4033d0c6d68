package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/transport/bindtest"

	"github.com/gwyh/gwyh/router"
)

// Three nodes in two zones: each one's router places every peer in the
// zone of the peer's membership record, whichever came first, the link or
// the record (node 1 links its seed, node 0, before membership knows it;
// node 2, which joins through node 0 alone, links node 1 once membership
// has told it of node 1), and has a measured RTT for it within a few
// heartbeats of the session coming up.
func TestPeersZonesAndRTTsReachRouter(t *testing.T) {
	zones := []string{"eu-west-1a", "eu-west-1b", "eu-west-1a"}
	nodes := startNodes(t, len(zones), onNet(bindtest.NewNetwork(), func(i int, c *Config) {
		localMembership(c)
		c.Zone = zones[i]
		c.Gossip.Strategy = router.PreferLocal
		c.Bootstrap = c.Bootstrap[:min(len(c.Bootstrap), 1)] // node 0 only
	}))
	zoneOf := map[string]string{}
	for i, n := range nodes {
		zoneOf[n.ID().String()] = zones[i]
	}
	placed := func() error {
		for i, n := range nodes {
			st, err := n.Stats()
			if err != nil {
				return err
			}
			if len(st.Peers) != len(nodes)-1 {
				return fmt.Errorf("node %d has %d peers", i, len(st.Peers))
			}
			for _, p := range st.Peers {
				if want := zoneOf[p.ID.String()]; p.Zone != want {
					return fmt.Errorf("node %d places peer %s in zone %q, want %q", i, p.ID.Short(), p.Zone, want)
				}
			}
			var rttErr error
			if err := n.do(t.Context(), func(time.Time) {
				for _, id := range n.r.Peers() {
					if rtt := n.r.Placement(id).RTT; rtt <= 0 {
						rttErr = fmt.Errorf("node %d's router has no RTT for peer %s", i, id.Short())
					}
				}
			}); err != nil {
				return err
			}
			if rttErr != nil {
				return rttErr
			}
		}
		return nil
	}
	var last error
	testkit.Eventually(t, 10*time.Second, "every router knows its peers' zones and RTTs",
		func() bool { last = placed(); return last == nil },
		func() { t.Log(last) })
}

// A zone strategy without the node's zone is refused, naming the fix;
// bad strategy parameters are reported as the Gossip parameters' other
// problems are.
func TestConfigStrategyProblems(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // of the ConfigError; "" for none
		want  string
	}{
		{"preferlocal without zone", func(c *Config) { c.Gossip.Strategy = router.PreferLocal }, "Zone", "set Zone"},
		{"hubandspoke without zone", func(c *Config) { c.Gossip.Strategy = router.HubAndSpoke }, "Zone", "hubandspoke"},
		{"preferlocal without remote peers", func(c *Config) {
			c.Zone, c.Gossip.Strategy, c.Gossip.RemoteMeshPeers = "a", router.PreferLocal, 0
		}, "Gossip", "Remote"},
		{"random share above 1", func(c *Config) { c.Gossip.Strategy, c.Gossip.RandomMeshShare = router.PreferFast, 1.5 }, "Gossip", "RandomShare"},
		{"unknown strategy", func(c *Config) { c.Gossip.Strategy = 9 }, "Gossip", "unknown strategy"},
		{"zone too long", func(c *Config) { c.Zone = strings.Repeat("z", 65) }, "Zone", "over 64"},
		{"preferlocal with zone", func(c *Config) { c.Zone, c.Gossip.Strategy = "a", router.PreferLocal }, "", ""},
		{"hubandspoke with zone", func(c *Config) { c.Zone, c.Gossip.Strategy = "a", router.HubAndSpoke }, "", ""},
		{"preferfast without zone", func(c *Config) { c.Gossip.Strategy = router.PreferFast }, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want a ConfigError on %s mentioning %q", err, tc.field, tc.want)
			}
		})
	}
}
