package main

import (
	"bufio"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
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
