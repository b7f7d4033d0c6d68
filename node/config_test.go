package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gwyh/gwyh/internal/testkit"

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
	for _, want := range []string{"Listen", "NetworkKey: 5 bytes", "Dlo ≤ D", "Bootstrap[1]", "Bootstrap[2]", "MTU: 100"} {
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
	badScore := score.DefaultParams("t")
	badScore.DecayInterval = 0
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"malformed identity file", func(c *Config) { c.Identity, c.IdentityFile = nil, garbage }, "no PEM block"},
		{"identity file others may read", func(c *Config) { c.Identity, c.IdentityFile = nil, open }, "chmod 600"},
		{"network key size", func(c *Config) { c.NetworkKey = make([]byte, 31) }, "NetworkKey"},
		{"keyring key size", func(c *Config) { c.NetworkKeys = [][]byte{make([]byte, 32), make([]byte, 5)} }, "NetworkKeys: network key 1 has 5 bytes"},
		{"keyring repeats a key", func(c *Config) { c.NetworkKeys = [][]byte{make([]byte, 32), make([]byte, 32)} }, "NetworkKeys: network key 1 repeats key 0"},
		{"key and keyring", func(c *Config) { c.NetworkKey, c.NetworkKeys = make([]byte, 32), [][]byte{make([]byte, 32)} }, "NetworkKeys: both"},
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

// A listen address that cannot be bound is not a config problem: New
// says so with ErrListen and the operating system's reason, once.
func TestNewListenFailure(t *testing.T) {
	busy := startNodes(t, 1, nil)[0]
	tests := []struct {
		name, listen string
		errno        syscall.Errno
		want         string
	}{
		{"address in use", busy.Addr().String(), syscall.EADDRINUSE, "node: cannot listen on " + busy.Addr().String() + ": address already in use"},
		{"not this host's", "192.0.2.1:0", syscall.EADDRNOTAVAIL, "node: cannot listen on 192.0.2.1:0: cannot assign requested address"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 200+i)
			cfg.Listen = tc.listen
			n, err := New(cfg)
			if err == nil {
				n.Close()
				t.Fatal("New accepted the config")
			}
			if !errors.Is(err, ErrListen) || !errors.Is(err, tc.errno) || errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v; want ErrListen and %v, not ErrConfig", err, tc.errno)
			}
			if err.Error() != tc.want {
				t.Errorf("err = %q, want %q", err, tc.want)
			}
		})
	}
}

// Each problem Validate finds is a *ConfigError naming the field, the
// value and what is wrong, without the package prefixes of the causes.
func TestConfigErrorFields(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1"
	cfg.Bootstrap = []string{"127.0.0.1:7000", "abc def:7000"}
	cfg.MTU = 100
	err := cfg.Validate()
	var got []ConfigError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if !errors.As(e, &ce) || !errors.Is(e, ErrConfig) {
			t.Fatalf("%v is not a *ConfigError wrapping ErrConfig", e)
		}
		got = append(got, *ce)
	}
	want := []struct{ field, value, problem string }{
		{"Listen", "127.0.0.1", "missing port in address"},
		{"Bootstrap[1]", "abc def:7000", `host "abc def" is neither an IP address nor a host name (to name the peer, write <peer-id>@host:port, with @ and no space)`},
		{"MTU", "", "100 outside 576..65000"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(got), len(want), err)
	}
	for i, w := range want {
		if got[i].Field != w.field || got[i].Value != w.value || got[i].Problem != w.problem {
			t.Errorf("problem %d = %q %q %q; want %q %q %q", i, got[i].Field, got[i].Value, got[i].Problem, w.field, w.value, w.problem)
		}
		if strings.Contains(got[i].Problem, "node:") {
			t.Errorf("problem %d stutters: %q", i, got[i].Problem)
		}
	}
	if !errors.Is(err, ErrBadAddress) {
		t.Error("a bad address does not wrap ErrBadAddress")
	}
}

// parseTarget accepts what can be dialled and rejects, at start, what is
// typed wrong: a space for the @, a host that is no host name, a port
// out of range.
func TestParseTargetStrict(t *testing.T) {
	id := testkit.Identity(t, "target").ID().String()
	tests := []struct {
		in string
		ok bool
	}{
		{"127.0.0.1:7000", true},
		{"[::1]:7000", true},
		{"[fe80::1%eth0]:7000", true},
		{"seed-1.example.com:7946", true},
		{"localhost:domain", true},
		{id + "@127.0.0.1:7000", true},
		{id + "@seed_1.local.:7000", true},
		{"abc def:7000", false},
		{id + " 127.0.0.1:7000", false},
		{id + "@ 127.0.0.1:7000", false},
		{"bad!host:7000", false},
		{"-lead.example:7000", false},
		{"127.0.0.1:0", false},
		{"127.0.0.1:70000", false},
		{"127.0.0.1:nosuchservice", false},
		{"127.0.0.1", false},
		{":7000", false},
		{"zzz@127.0.0.1:7000", false},
		{strings.Repeat("a", 64) + ".example:7000", false},
	}
	for _, tc := range tests {
		_, err := parseTarget(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("parseTarget(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadAddress) {
			t.Errorf("parseTarget(%q) = %v, not ErrBadAddress", tc.in, err)
		}
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
