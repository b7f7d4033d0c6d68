package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gwyh/gwyh/score"
)

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	bad := DefaultConfig()
	bad.Listen = "not-an-address"
	bad.NetworkKey = make([]byte, 5)
	bad.Gossip.Dlo = bad.Gossip.D + 1
	bad.Bootstrap = []string{"127.0.0.1:7000", "no-port", "zzz@127.0.0.1:1"}
	bad.MTU = 100
	err := bad.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
	for _, want := range []string{"Listen", "NetworkKey has 5 bytes", "Dlo ≤ D", "Bootstrap[1]", "Bootstrap[2]", "MTU 100"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Bootstrap[0]") {
		t.Errorf("a good bootstrap entry was reported:\n%v", err)
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.key")
	if err := os.WriteFile(garbage, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.key")
	if err := os.WriteFile(open, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy := startNodes(t, 1, nil)[0]
	badScore := score.DefaultParams("t")
	badScore.DecayInterval = 0
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"malformed identity file", func(c *Config) { c.Identity, c.IdentityFile = nil, garbage }, "no PEM block"},
		{"identity file others may read", func(c *Config) { c.Identity, c.IdentityFile = nil, open }, "chmod 600"},
		{"address in use", func(c *Config) { c.Listen = busy.Addr().String() }, "Listen"},
		{"network key size", func(c *Config) { c.NetworkKey = make([]byte, 31) }, "NetworkKey"},
		{"inconsistent gossip", func(c *Config) { c.Gossip.Dout = c.Gossip.Dlo }, "Dout < Dlo"},
		{"inconsistent score", func(c *Config) { c.Score = &badScore }, "Score"},
		{"bad bootstrap", func(c *Config) { c.Bootstrap = []string{"[::1"} }, "Bootstrap[0]"},
		{"water marks", func(c *Config) { c.PeersLow, c.PeersHigh = 10, 5 }, "PeersLow"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 100+i)
			tc.edit(&cfg)
			n, err := New(cfg)
			if err == nil {
				n.Close()
				t.Fatal("New accepted the config")
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestIdentityFileCreatedAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.key")
	cfg := testConfig(t, 0)
	cfg.Identity, cfg.IdentityFile = nil, path
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := a.ID()
	a.Close()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.ID() != id {
		t.Fatalf("restarted with %s, want %s from the identity file", b.ID().Short(), id.Short())
	}
}
