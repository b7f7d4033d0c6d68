package main

import (
	"bufio"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gwyh/gwyh/router"
)

// readLine returns lines without "\n" or "\r\n", whatever the reader's
// buffer size, and drops (with their length) lines longer than limit.
func TestReadLine(t *testing.T) {
	const limit = 20
	long := strings.Repeat("y", limit+1)
	in := "a\r\n" + strings.Repeat("x", limit) + "\r\n" + long + "\n" + long + "\r\n\r\nlast"
	type got struct {
		line string
		size int
	}
	want := []got{{"a", 1}, {strings.Repeat("x", limit), limit}, {"", limit + 1}, {"", limit + 1}, {"", 0}, {"last", 4}}
	for _, bufSize := range []int{16, 17, 19, 64} {
		r := bufio.NewReaderSize(strings.NewReader(in), bufSize)
		var lines []got
		for {
			line, size, err := readLine(r, limit)
			lines = append(lines, got{string(line), size})
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
		}
		if !slices.Equal(lines, want) {
			t.Errorf("buffer %d: %v, want %v", bufSize, lines, want)
		}
	}
}

func TestJoinAddrs(t *testing.T) {
	host := []netip.Addr{
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("::1"),
		netip.MustParseAddr("fe80::1"), netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("192.168.1.9"),
	}
	ap := netip.MustParseAddrPort
	tests := []struct {
		name       string
		bound      netip.AddrPort
		advertised string
		explicit   bool
		want       []string
	}{
		{"specific IP", ap("10.0.0.5:7000"), "10.0.0.5:7000", false, []string{"10.0.0.5:7000"}},
		{"-advertise", ap("0.0.0.0:7000"), "seed.example:7000", true, []string{"seed.example:7000"}},
		{"IPv4 wildcard", ap("0.0.0.0:7000"), "10.0.0.5:7000", false, []string{"10.0.0.5:7000", "192.168.1.9:7000", "127.0.0.1:7000"}},
		{"IPv6 wildcard", ap("[::]:7000"), "10.0.0.5:7000", false,
			[]string{"10.0.0.5:7000", "[2001:db8::5]:7000", "192.168.1.9:7000", "127.0.0.1:7000", "[::1]:7000"}},
		{"no advertised address", ap("0.0.0.0:7000"), "", false, []string{"10.0.0.5:7000", "192.168.1.9:7000", "127.0.0.1:7000"}},
	}
	for _, tc := range tests {
		if got := joinAddrs(tc.bound, tc.advertised, tc.explicit, host); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := joinAddrs(ap("0.0.0.0:7000"), "", false, nil); !slices.Equal(got, []string{"127.0.0.1:7000"}) {
		t.Errorf("no interfaces: %q", got)
	}
}

// -strategy takes any strategy name (case, '-' and '_' ignored) and sets
// the router's strategy with -zone, -remote-mesh-peers and
// -random-mesh-share; a bad name lists the choices, and a zone strategy
// without -zone or a parameter out of range is refused in one line
// naming the fix.
func TestNodeStrategyFlags(t *testing.T) {
	tests := []struct {
		args   []string
		code   int    // -1: parsed
		stderr string // for code 2
		want   router.Params
	}{
		{nil, -1, "", router.Params{Strategy: router.Uniform, RemoteMeshPeers: 2, RandomMeshShare: 1.0 / 3}},
		{[]string{"-strategy", "preferfast", "-random-mesh-share", "0.5"}, -1, "",
			router.Params{Strategy: router.PreferFast, RemoteMeshPeers: 2, RandomMeshShare: 0.5}},
		{[]string{"-strategy", "Prefer-Local", "-zone", "eu-west-1a", "-remote-mesh-peers", "3"}, -1, "",
			router.Params{Strategy: router.PreferLocal, RemoteMeshPeers: 3, RandomMeshShare: 1.0 / 3}},
		{[]string{"-strategy", "hubandspoke", "-zone", "us-east-1"}, -1, "",
			router.Params{Strategy: router.HubAndSpoke, RemoteMeshPeers: 2, RandomMeshShare: 1.0 / 3}},
		{[]string{"-strategy", "fastest"}, 2, "uniform, preferlocal, hubandspoke, preferfast", router.Params{}},
		{[]string{"-strategy", "preferlocal"}, 2, "-strategy preferlocal places peers by zone: give this node's zone with -zone", router.Params{}},
		{[]string{"-strategy", "hubandspoke"}, 2, "-strategy hubandspoke places peers by zone", router.Params{}},
		{[]string{"-remote-mesh-peers", "0"}, 2, "-remote-mesh-peers 0: want at least 1", router.Params{}},
		{[]string{"-random-mesh-share", "1.5"}, 2, "-random-mesh-share 1.5: want a fraction from 0 to 1", router.Params{}},
		{[]string{"-random-mesh-share", "NaN"}, 2, "-random-mesh-share NaN: want a fraction", router.Params{}},
		{[]string{"-random-mesh-share", "a third"}, 2, "-random-mesh-share: not a number", router.Params{}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var errb strings.Builder
			f, code := parseNodeFlags(tc.args, &errb)
			if code != tc.code {
				t.Fatalf("code %d, want %d; stderr %q", code, tc.code, errb.String())
			}
			if code >= 0 {
				if !strings.Contains(errb.String(), tc.stderr) || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
					t.Fatalf("stderr %q, want one line with %q", errb.String(), tc.stderr)
				}
				return
			}
			cfg, err := f.config(io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			g := cfg.Gossip
			if got := (router.Params{Strategy: g.Strategy, RemoteMeshPeers: g.RemoteMeshPeers, RandomMeshShare: g.RandomMeshShare}); got != tc.want {
				t.Fatalf("strategy params %+v, want %+v", got, tc.want)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("the flags' config does not validate: %v", err)
			}
		})
	}
}
