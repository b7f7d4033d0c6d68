package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/transport"
)

// Config configures New. Start from DefaultConfig and change what differs.
// New reads it once; the caller may reuse it afterwards. A zero field takes
// its value from DefaultConfig, the one place where defaults are written
// (the field docs name the default only to explain it).
type Config struct {
	// Listen is the UDP address to bind, "host:port"; port 0 picks a free
	// port.
	Listen string
	// Advertise is the "host:port" other members dial to reach this node,
	// carried in its membership record. Empty: the bound address when it
	// is a specific IP, else the first non-loopback unicast address of
	// this host's interfaces (127.0.0.1 when there is none) with the bound
	// port.
	Advertise string
	// Identity is the node's ed25519 key pair; its public key is the node's
	// peer.ID. Nil: loaded from IdentityFile, or a fresh random identity
	// when IdentityFile is empty too.
	Identity *peer.Identity
	// IdentityFile is a PEM identity file (peer.LoadIdentity), created
	// with mode 0600 when absent. Used only when Identity is nil.
	IdentityFile string
	// Bootstrap lists seeds: "host:port", or "<peer-id>@host:port" to
	// insist on that identity. Any member of the cluster will do; the node
	// dials them until one answers, joins the cluster's membership through
	// it and from then on learns every member. Empty: the node starts a
	// cluster of its own, which others join through it. The host must be
	// an IP address or a host name (resolved when dialled), the port a
	// number or a service name: anything else fails Validate. A seed that
	// cannot be reached is logged at Warn, once per cause, with the likely
	// cause (no answer, a host that does not resolve, another peer ID).
	Bootstrap []string
	// Direct lists explicit peers (GossipSub v1.1 "Explicit Peering
	// Agreements"), same syntax as Bootstrap. They are always reconnected,
	// get every message of the topics they join and are never grafted.
	Direct []string
	// Zone is this node's zone, a free-form label such as "eu-west-1a",
	// carried in its membership record (at most membership.MaxZoneLen
	// bytes). The router and the peer manager compare it with the zones
	// of the peers' records under the zone strategies
	// (Gossip.Strategy PreferLocal and HubAndSpoke, which require it).
	// Empty: none.
	Zone string
	// Tags are small application tags carried in the membership record
	// (Members shows them on every node). Bounded by Membership.MaxTagBytes.
	Tags map[string]string
	// Membership holds the SWIM/Lifeguard parameters. The zero value means
	// membership.LANParams().
	Membership membership.Params
	// NetworkKey is the optional cluster pre-shared key, exactly 32 bytes.
	// Nodes without the same key cannot complete a handshake (so they can
	// neither gossip nor take part in membership). Nil: none. It is a
	// keyring of one key (NetworkKeys: {NetworkKey}); at most one of the
	// two may be set.
	NetworkKey []byte
	// NetworkKeys is the network keyring, for changing a cluster's key
	// without downtime (see Node.SetNetworkKeys): the node handshakes with
	// the first key (the primary) and accepts nodes holding any of them.
	// Each has 32 bytes, no two the same, at most
	// transport.MaxNetworkKeys. Nil: NetworkKey alone.
	NetworkKeys [][]byte
	// Gossip holds the GossipSub parameters. The zero value means
	// router.DefaultParams(). Its Strategy (with RemoteMeshPeers and
	// RandomMeshShare) orders the peers both the router (meshes, gossip,
	// fan-out) and the peer manager (dials, trims) prefer; the zone
	// strategies need Zone.
	Gossip router.Params
	// Score enables peer scoring with these parameters; nil turns scoring
	// off (every peer scores 0).
	Score *score.Params
	// Thresholds are the score thresholds; used only when Score is set.
	// The zero value means score.DefaultThresholds().
	Thresholds score.Thresholds
	// SignaturePolicy: router.StrictSign (the zero value) signs own
	// messages and rejects unsigned ones; router.StrictNoSign for private
	// clusters (a NetworkKey then keeps outsiders away).
	SignaturePolicy router.SignaturePolicy
	// MessageID computes message ids; nil is the policy's default. Every
	// node of a topic must use the same function. It must not keep m.
	MessageID func(m *rpc.Message) string
	// Clock is the node's clock; nil is the real clock. Tests may pass
	// clock.NewMock().
	Clock clock.Clock
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// Tracer receives one call per protocol event; nil means none. It is
	// called on the event loop: it must be fast and must not call the node.
	Tracer Tracer
	// MaxMessageSize is the largest message data, in bytes (1 B..64 MiB).
	MaxMessageSize int
	// MTU is the largest UDP payload, in bytes (576..65000). Every node of
	// a cluster should use the same MTU.
	MTU int
	// PeersLow and PeersHigh are the water marks of connected peers (the
	// sessions GossipSub uses; membership probes open short-lived sessions
	// of their own that do not count). Below PeersLow the peer manager
	// dials members at random; above PeersHigh it disconnects the surplus
	// at its next round, never a direct peer or a mesh peer, inbound
	// before outbound, lowest score first (package peering). Constraint:
	// 1 ≤ PeersLow ≤ PeersHigh. The defaults, 12 and 48, leave a mesh of
	// Dhi=12 a choice of peers and are a small fraction of a 10,000-node
	// cluster.
	PeersLow, PeersHigh int
	// DialBackoff is the first wait before redialling a peer that did not
	// answer; it doubles up to MaxDialBackoff.
	DialBackoff, MaxDialBackoff time.Duration
	// DialTimeout bounds one dial (handshake).
	DialTimeout time.Duration
	// DisconnectBackoff is how long a peer the node disconnected (because
	// it was graylisted, or trimmed above PeersHigh) is kept out: neither
	// dialled nor accepted as a peer. Direct peers are never disconnected.
	// Zero means Gossip.PruneBackoff; ≥ 0.
	DisconnectBackoff time.Duration
	// ValidationWorkers is the number of goroutines running validators.
	ValidationWorkers int
	// SubscriptionBuffer is a subscription's default buffer, in messages.
	SubscriptionBuffer int
	// PublishHighWater: a publish waits (or fails) while the send queue of
	// a peer holds more than this many bytes.
	PublishHighWater int
	// LANDiscovery turns on discovery over UDP multicast (off by default):
	// the node announces itself to LANGroup every LANInterval in a beacon
	// signed with its identity key and timestamped (with Advertise's IP
	// and port when Advertise is an IP address, which must then be the
	// beacon's source IP), and the peers it hears are dial candidates that
	// bring the cluster's membership. Discovered peers still need the
	// handshake; with a NetworkKey, beacons carry a MAC under it, so that
	// nodes of other clusters are not even dialled. See the package doc.
	LANDiscovery bool
	// LANGroup is the multicast group, "ip:port".
	LANGroup string
	// LANInterval is the time between beacons.
	LANInterval time.Duration
	// Seed seeds the randomness of the router, membership and peer
	// manager; zero picks a random seed.
	Seed uint64
	// Transport holds advanced transport options. NetworkKey, NetworkKeys,
	// MTU, MaxMessageSize and Logger are set from the fields above.
	Transport transport.Options

	// socket, set by this package's tests only, replaces the UDP socket
	// (transport.Options.Socket) with an in-memory one.
	socket transport.Socket
	// lanSockets, set by this package's tests only, replaces the multicast
	// group of LAN discovery with the sockets it returns.
	lanSockets func() (recv, send *net.UDPConn, err error)
}

// DefaultConfig returns the defaults, the one place they are written:
// listen on 0.0.0.0:7946, GossipSub's recommended parameters, membership's
// LAN preset, StrictSign, scoring off, the real clock.
func DefaultConfig() Config {
	return Config{
		Listen:             "0.0.0.0:7946",
		Gossip:             router.DefaultParams(),
		Membership:         membership.LANParams(),
		Thresholds:         score.DefaultThresholds(),
		MaxMessageSize:     1 << 20,
		MTU:                1400,
		PeersLow:           12,
		PeersHigh:          48,
		DialBackoff:        time.Second,
		MaxDialBackoff:     time.Minute,
		DialTimeout:        5 * time.Second,
		ValidationWorkers:  4,
		SubscriptionBuffer: 1024,
		PublishHighWater:   64 << 10,
		LANGroup:           "239.255.71.71:7947",
		LANInterval:        5 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig (DisconnectBackoff from
// Gossip.PruneBackoff, PeersHigh at least PeersLow).
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.Gossip == (router.Params{}) {
		c.Gossip = d.Gossip
	}
	if c.Membership == (membership.Params{}) {
		c.Membership = d.Membership
	}
	if c.Thresholds == (score.Thresholds{}) {
		c.Thresholds = d.Thresholds
	}
	if c.LANGroup == "" {
		c.LANGroup = d.LANGroup
	}
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fillD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&c.MaxMessageSize, d.MaxMessageSize)
	fill(&c.MTU, d.MTU)
	fill(&c.PeersLow, d.PeersLow)
	fill(&c.PeersHigh, max(d.PeersHigh, c.PeersLow))
	fillD(&c.DialBackoff, d.DialBackoff)
	fillD(&c.MaxDialBackoff, d.MaxDialBackoff)
	fillD(&c.DialTimeout, d.DialTimeout)
	fillD(&c.DisconnectBackoff, c.Gossip.PruneBackoff)
	fill(&c.ValidationWorkers, d.ValidationWorkers)
	fill(&c.SubscriptionBuffer, d.SubscriptionBuffer)
	fill(&c.PublishHighWater, d.PublishHighWater)
	fillD(&c.LANInterval, d.LANInterval)
	if c.Clock == nil {
		c.Clock = clock.New()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Tracer == nil {
		c.Tracer = NopTracer{}
	}
	return c
}

// Validate reports every problem in c at once (errors.Join), each a
// *ConfigError wrapping ErrConfig; nil when New can use c. It does not
// touch the file system or the network beyond resolving the host names of
// Listen and Advertise: an identity file that cannot be read or an address
// in use are reported by New.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	badErr := func(field string, err error) {
		errs = append(errs, &ConfigError{Field: field, Problem: err.Error(), Err: err})
	}
	badAddr := func(field, value string, err error) {
		ce := &ConfigError{Field: field, Value: value, Problem: err.Error(), Err: err}
		var ae *addrError
		if errors.As(err, &ae) {
			ce.Problem = ae.reason
		}
		errs = append(errs, ce)
	}
	if _, err := parseListen(c.Listen); err != nil {
		badAddr("Listen", c.Listen, err)
	}
	switch {
	case c.NetworkKey != nil && c.NetworkKeys != nil:
		bad("NetworkKeys", "both NetworkKey and NetworkKeys set; put NetworkKey first in NetworkKeys")
	case c.NetworkKey != nil && len(c.NetworkKey) != 32:
		bad("NetworkKey", "%d bytes, want 32", len(c.NetworkKey))
	default:
		errs = append(errs, keyringProblems("NetworkKeys", c.NetworkKeys)...)
	}
	if err := c.Membership.Validate(); err != nil {
		badErr("Membership", err)
	}
	if c.Advertise != "" {
		if _, err := parseListen(c.Advertise); err != nil {
			badAddr("Advertise", c.Advertise, err)
		}
	}
	if err := c.Gossip.Validate(); err != nil {
		badErr("Gossip", err)
	}
	if len(c.Zone) > membership.MaxZoneLen {
		errs = append(errs, &ConfigError{Field: "Zone", Value: c.Zone, Problem: fmt.Sprintf("%d bytes, over %d", len(c.Zone), membership.MaxZoneLen)})
	}
	if s := c.Gossip.Strategy; c.Zone == "" && (s == router.PreferLocal || s == router.HubAndSpoke) {
		bad("Zone", "empty, but Gossip.Strategy %v places peers by zone: set Zone to this node's zone (e.g. \"eu-west-1a\"), or use Strategy Uniform or PreferFast", s)
	}
	if c.Score != nil {
		if err := c.Score.Validate(); err != nil {
			badErr("Score", err)
		}
		if err := c.Thresholds.Validate(); err != nil {
			badErr("Thresholds", err)
		}
	}
	for i, b := range c.Bootstrap {
		if _, err := parseTarget(b); err != nil {
			badAddr(fmt.Sprintf("Bootstrap[%d]", i), b, err)
		}
	}
	for i, b := range c.Direct {
		if _, err := parseTarget(b); err != nil {
			badAddr(fmt.Sprintf("Direct[%d]", i), b, err)
		}
	}
	if c.SignaturePolicy != router.StrictSign && c.SignaturePolicy != router.StrictNoSign {
		bad("SignaturePolicy", "unknown policy %d", c.SignaturePolicy)
	}
	if c.MTU < 576 || c.MTU > 65000 {
		bad("MTU", "%d outside 576..65000", c.MTU)
	}
	if c.MaxMessageSize < 1 || c.MaxMessageSize > 64<<20 {
		bad("MaxMessageSize", "%d outside 1..64 MiB", c.MaxMessageSize)
	}
	if c.PeersLow < 1 || c.PeersHigh < c.PeersLow {
		bad("PeersLow", "water marks: want 1 ≤ PeersLow ≤ PeersHigh (PeersLow=%d PeersHigh=%d)", c.PeersLow, c.PeersHigh)
	}
	if c.DisconnectBackoff < 0 {
		bad("DisconnectBackoff", "%v < 0", c.DisconnectBackoff)
	}
	if c.DialBackoff < 0 || c.MaxDialBackoff < c.DialBackoff || c.DialTimeout < 0 {
		bad("DialBackoff", "dial timing: want 0 ≤ DialBackoff ≤ MaxDialBackoff and DialTimeout ≥ 0")
	}
	if c.LANDiscovery {
		if ap, err := netip.ParseAddrPort(c.LANGroup); err != nil || !ap.Addr().IsMulticast() {
			errs = append(errs, &ConfigError{Field: "LANGroup", Value: c.LANGroup, Problem: "want a multicast ip:port"})
		}
		if c.LANInterval < 0 {
			bad("LANInterval", "%v negative", c.LANInterval)
		}
	}
	if c.ValidationWorkers < 1 || c.SubscriptionBuffer < 1 || c.PublishHighWater < 1 {
		bad("ValidationWorkers", "ValidationWorkers, SubscriptionBuffer and PublishHighWater must be positive")
	}
	return errors.Join(errs...)
}

// parseListen checks a listen address: "host:port" with a numeric port.
func parseListen(s string) (string, error) {
	if _, err := netip.ParseAddrPort(s); err == nil {
		return s, nil
	}
	if _, err := resolve(s); err != nil {
		return "", err
	}
	return s, nil
}
