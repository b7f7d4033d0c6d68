package node

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gwyh/gwyh/peer"
)

// target is a parsed "host:port" or "<peer-id>@host:port".
type target struct {
	id   peer.ID // zero: any identity
	addr string  // as given, "host:port"
}

// addrError is a bad address: the address as given and what is wrong
// with it, without package prefixes, so that ConfigError and commands can
// show one clear line. It wraps ErrBadAddress and the cause, if any.
type addrError struct {
	addr   string
	reason string
	err    error // the cause (a resolver or peer ID error), or nil
}

func (e *addrError) Error() string {
	return fmt.Sprintf("%v: %q: %s", ErrBadAddress, e.addr, e.reason)
}

func (e *addrError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrBadAddress}
	}
	return []error{ErrBadAddress, e.err}
}

// parseTarget parses a Bootstrap, Direct or Connect entry. It checks the
// syntax as strictly as the listen address is checked, short of resolving
// the host (a name that does not resolve yet may later; it is resolved
// when dialled): the host must be an IP address or a host name (RFC 1123
// labels), the port a number in 1..65535 or a service name.
func parseTarget(s string) (target, error) {
	var t target
	hostport := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		id, err := peer.Decode(s[:i])
		if err != nil {
			return t, &addrError{s, strings.TrimPrefix(err.Error(), "peer: "), err}
		}
		t.id, hostport = id, s[i+1:]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" || port == "" {
		reason := "want host:port or <peer-id>@host:port"
		if strings.ContainsAny(hostport, " \t") {
			reason += " (to name the peer, join its ID to the address with @, no space)"
		}
		return t, &addrError{s, reason, nil}
	}
	if reason := checkHost(host); reason != "" {
		return t, &addrError{s, reason, nil}
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			return t, &addrError{s, fmt.Sprintf("port %d outside 1..65535", n), nil}
		}
	} else if _, err := net.LookupPort("udp", port); err != nil {
		return t, &addrError{s, fmt.Sprintf("port %q is neither a number nor a UDP service name", port), err}
	}
	t.addr = hostport
	return t, nil
}

// checkHost returns what is wrong with host as the host of a target, or
// "" when it is an IP address or a syntactically valid host name.
func checkHost(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	bad := fmt.Sprintf("host %q is neither an IP address nor a host name", host)
	if strings.ContainsAny(host, " \t") {
		return bad + " (to name the peer, write <peer-id>@host:port, with @ and no space)"
	}
	if len(host) > 253 {
		return bad
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return bad
			}
		}
	}
	return ""
}

// resolve turns "host:port" into an address, preferring IPv4.
func resolve(hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return unmap(ap), nil
	}
	ua, err := net.ResolveUDPAddr("udp", hostport)
	if err != nil {
		return netip.AddrPort{}, &addrError{hostport, resolveReason(err), err}
	}
	return unmap(ua.AddrPort()), nil
}

// resolveReason says briefly why the resolver failed: the bare reason of
// an address error ("missing port in address"), "cannot resolve host X:
// no such host" for a lookup.
func resolveReason(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		reason := de.Err
		if de.IsNotFound {
			reason = "no such host"
		}
		return fmt.Sprintf("cannot resolve host %q: %s", de.Name, reason)
	}
	return err.Error()
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
