package node

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gwyh/gwyh/peer"
)

// target is a parsed "host:port" or "<peer-id>@host:port".
type target struct {
	id   peer.ID // zero: any identity
	addr string  // as given, "host:port"
}

// parseTarget parses a Bootstrap, Direct or Connect entry. It checks the
// syntax only; the host is resolved when dialled.
func parseTarget(s string) (target, error) {
	var t target
	hostport := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		id, err := peer.Decode(s[:i])
		if err != nil {
			return t, fmt.Errorf("%w: %q: peer id: %w", ErrBadAddress, s, err)
		}
		t.id, hostport = id, s[i+1:]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" || port == "" {
		return t, fmt.Errorf("%w: %q: want host:port or <peer-id>@host:port", ErrBadAddress, s)
	}
	if _, err := net.LookupPort("udp", port); err != nil {
		return t, fmt.Errorf("%w: %q: port: %w", ErrBadAddress, s, err)
	}
	t.addr = hostport
	return t, nil
}

// resolve turns "host:port" into an address, preferring IPv4.
func resolve(hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return unmap(ap), nil
	}
	ua, err := net.ResolveUDPAddr("udp", hostport)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q: %w", ErrBadAddress, hostport, err)
	}
	return unmap(ua.AddrPort()), nil
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
