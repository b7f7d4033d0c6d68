package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/transport"
)

// Node is one gwyh node: a router, a membership view and a peer manager
// over an encrypted UDP transport, driven by one event-loop goroutine. Create it with New; all methods are safe for
// concurrent use. The zero value is unusable.
type Node struct {
	cfg    Config
	ident  *peer.Identity
	conn   *transport.Conn
	r      *router.Router
	mem    *membership.Membership
	pm     *peering.Manager
	scorer *score.Scorer
	clock  clock.Clock
	log    *slog.Logger
	tracer Tracer

	calls    chan call
	vjobs    chan *vjob // pointers: a full queue of values took 160 KB a node
	vresults chan vresult
	quit     chan struct{} // closed by Close: the loop stops
	loopDone chan struct{} // closed when the loop has ended
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	bg       sync.WaitGroup // transport Disconnect calls; waited for after the transport closed
	once     sync.Once
	closed   atomic.Bool

	snapMu   sync.Mutex
	snapPeer []peer.ID // connected peers, sorted; published by the loop

	lanDrops [numNodeDrops]atomic.Uint64 // drops counted by the LAN beacon receiver, off the loop
	netKeys  networkKeys                 // the network keyring, for LAN beacons (keys.go)
	dialWarn dialWarner                  // owned by the event loop
	vpool    *verifyPool                 // the router's SigVerifier; its workers run from New to Close

	loopState // owned by the event loop
}

// call is a function the event loop runs for another goroutine.
type call struct {
	fn   func(now time.Time)
	done chan struct{}
}

// New validates cfg, binds the UDP socket, starts the node and begins
// dialling cfg.Bootstrap in the background. Every Config problem is
// reported at once (errors wrapping ErrConfig), as is an unreadable
// identity file; a listen address that cannot be bound (in use, not this
// host's) is reported wrapping ErrListen.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ident, err := loadIdentity(cfg)
	if err != nil {
		return nil, &ConfigError{Field: "IdentityFile", Value: cfg.IdentityFile, Problem: strings.TrimPrefix(err.Error(), "peer: "), Err: err}
	}
	n := &Node{cfg: cfg, ident: ident, clock: cfg.Clock, log: cfg.Logger, tracer: cfg.Tracer}
	n.vpool = newVerifyPool(defaultVerifyParts())
	if n.r, n.scorer, err = newRouter(cfg, ident, n.vpool); err != nil {
		return nil, err
	}
	topts := cfg.Transport
	topts.NetworkKey, topts.NetworkKeys, topts.MTU, topts.Logger = nil, cfg.keyring(), cfg.MTU, cfg.Logger
	n.netKeys.set(cfg.keyring())
	topts.MaxMessageSize = max(topts.MaxMessageSize, cfg.MaxMessageSize+64<<10)
	if cfg.socket != nil {
		topts.Socket = cfg.socket
	}
	if n.conn, err = transport.Listen(cfg.Listen, ident, topts); err != nil {
		if errors.Is(err, transport.ErrConfig) {
			return nil, &ConfigError{Field: "Transport", Problem: err.Error(), Err: err}
		}
		return nil, &listenError{addr: cfg.Listen, err: err}
	}
	if n.mem, n.pm, err = newCluster(cfg, ident.ID(), advertise(cfg, n.conn.LocalAddr())); err != nil {
		n.conn.Close()
		return nil, err
	}
	n.calls = make(chan call)
	n.vjobs = make(chan *vjob, 1024)
	n.vresults = make(chan vresult, 1024)
	n.quit = make(chan struct{})
	n.loopDone = make(chan struct{})
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.initLoopState()
	for range cfg.ValidationWorkers {
		n.wg.Add(1)
		go n.validationWorker()
	}
	n.vpool.start()
	n.wg.Add(1)
	go n.run()
	if cfg.LANDiscovery {
		if err := n.startDiscovery(); err != nil {
			n.Close()
			return nil, err
		}
	}
	n.log.Info("node started", "id", ident.ID().String(), "addr", n.conn.LocalAddr().String())
	return n, nil
}

// newCluster builds the membership state machine and the peer manager, and
// gives the manager the seeds and direct peers.
func newCluster(cfg Config, id peer.ID, addr string) (*membership.Membership, *peering.Manager, error) {
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	mem, err := membership.New(membership.Config{
		Self:   membership.Member{ID: id, Addr: addr, Zone: cfg.Zone, Tags: cfg.Tags},
		Params: cfg.Membership,
		Rand:   rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc909)),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	pm, err := peering.New(peering.Config{
		Low: cfg.PeersLow, High: cfg.PeersHigh,
		DialBackoff: cfg.DialBackoff, MaxDialBackoff: cfg.MaxDialBackoff,
		BanDuration: cfg.DisconnectBackoff,
		Interval:    max(cfg.Gossip.HeartbeatInterval, 100*time.Millisecond),
		DialTimeout: cfg.DialTimeout + time.Second,
		Self:        id,
		Rand:        rand.New(rand.NewPCG(seed, seed^0xbb67ae8584caa73b)),
		Prefs:       cfg.prefs(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for _, list := range []struct {
		entries []string
		add     func(peering.Target)
	}{{cfg.Direct, pm.AddDirect}, {cfg.Bootstrap, pm.AddSeed}} {
		for _, s := range list.entries {
			if t, err := parseTarget(s); err == nil { // checked by Validate
				list.add(peering.Target{ID: t.id, Addr: t.addr})
			}
		}
	}
	return mem, pm, nil
}

// prefs is the router's strategy in this node's zone, for the peer
// manager: sessions then suit the meshes the router builds on them.
func (c Config) prefs() mesh.Prefs {
	return mesh.Prefs{Strategy: c.Gossip.Strategy, Zone: c.Zone, Remote: c.Gossip.RemoteMeshPeers, RandomShare: c.Gossip.RandomMeshShare}
}

// advertise is the address this node announces to members: cfg.Advertise,
// or the bound address, with a usable host when it is bound to a wildcard.
func advertise(cfg Config, bound netip.AddrPort) string {
	if cfg.Advertise != "" {
		return cfg.Advertise
	}
	if !bound.Addr().IsUnspecified() {
		return bound.String()
	}
	return netip.AddrPortFrom(interfaceAddr(), bound.Port()).String()
}

// interfaceAddr returns the first up, non-loopback unicast IPv4 address
// of this host (IPv6 when there is no IPv4), or 127.0.0.1.
func interfaceAddr() netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	var v6 netip.Addr
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr()
		switch {
		case ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast():
		case ip.Is4():
			return ip
		case !v6.IsValid():
			v6 = ip
		}
	}
	if v6.IsValid() {
		return v6
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// loadIdentity picks cfg.Identity, the identity file, or a new identity.
func loadIdentity(cfg Config) (*peer.Identity, error) {
	switch {
	case cfg.Identity != nil:
		return cfg.Identity, nil
	case cfg.IdentityFile != "":
		return peer.LoadIdentity(cfg.IdentityFile)
	default:
		return peer.NewIdentity()
	}
}

// newRouter builds the router (and the scorer when scoring is on).
func newRouter(cfg Config, ident *peer.Identity, v router.SigVerifier) (*router.Router, *score.Scorer, error) {
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rc := router.Config{
		Identity:        ident,
		Params:          cfg.Gossip,
		Zone:            cfg.Zone,
		SignaturePolicy: cfg.SignaturePolicy,
		MessageID:       cfg.MessageID,
		Rand:            rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		Thresholds:      cfg.Thresholds,
		Verifier:        v,
	}
	rc.Limits = routerLimits(cfg)
	var sc *score.Scorer
	if cfg.Score != nil {
		var err error
		if sc, err = score.New(*cfg.Score); err != nil {
			return nil, nil, fmt.Errorf("%w: Score: %w", ErrConfig, err)
		}
		rc.Scorer = sc
	}
	r, err := router.New(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return r, sc, nil
}

// routerLimits are the decoding limits for cfg's MaxMessageSize.
func routerLimits(cfg Config) rpc.Limits {
	return rpc.Limits{MaxDataSize: cfg.MaxMessageSize, MaxPayload: cfg.MaxMessageSize + 64<<10}
}

// ID returns the node's peer ID (its identity's public key).
func (n *Node) ID() peer.ID { return n.ident.ID() }

// Addr returns the UDP address the node is bound to.
func (n *Node) Addr() netip.AddrPort { return n.conn.LocalAddr() }

// Peers returns the connected peers known to the router, sorted. After
// Close it returns nil.
func (n *Node) Peers() []peer.ID {
	if n.closed.Load() {
		return nil
	}
	n.snapMu.Lock()
	defer n.snapMu.Unlock()
	return slices.Clone(n.snapPeer)
}

// Connect dials addr ("host:port" or "<peer-id>@host:port"), waits for the
// handshake and for the peer to be one of the node's peers (known to the
// router), and returns its ID. A peer the node keeps out (it disconnected
// it less than Config.DisconnectBackoff ago) is let back in, though one
// still graylisted is disconnected again at its next RPC, and one above
// Config.PeersHigh may be trimmed again. The peer's membership, and the
// cluster's, is learnt through it when it is new. Errors: ErrClosed,
// ErrBadAddress, or the transport's (transport.ErrHandshake when ctx ends
// first, transport.ErrPeerMismatch for another identity).
func (n *Node) Connect(ctx context.Context, addr string) (peer.ID, error) {
	t, err := parseTarget(addr)
	if err != nil {
		return peer.ID{}, err
	}
	id, err := n.dial(ctx, peering.Target{ID: t.id, Addr: t.addr})
	if err != nil {
		return id, err
	}
	up := make(chan struct{})
	if err := n.do(ctx, func(now time.Time) {
		n.pm.Unban(id)
		n.waitUp(id, up)
		n.dialDone(now, dialConnect, peering.Target{ID: id, Addr: t.addr}, id, nil)
	}); err != nil {
		return id, err
	}
	select {
	case <-up:
		return id, nil
	case <-ctx.Done():
		return id, ctx.Err()
	case <-n.loopDone:
		return id, ErrClosed
	}
}

// do runs fn on the event loop and waits for it to finish. It returns
// ErrClosed, without running fn, when the node is closed, or ctx's error
// when ctx ends before the loop took fn.
func (n *Node) do(ctx context.Context, fn func(now time.Time)) error {
	c := call{fn: fn, done: make(chan struct{})}
	select {
	case n.calls <- c:
	case <-n.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-c.done // the loop runs every call it took before it ends
	return nil
}

// Close leaves every topic (sending PRUNEs), waits briefly for queued
// packets to go out, closes the transport and every subscription, and
// returns when every goroutine the node started has ended. It is
// idempotent; later calls return nil.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		_ = n.do(context.Background(), func(now time.Time) {
			n.leaveAll(now) // PRUNEs
			n.mem.Leave(now)
			n.flush(now)
		})
		n.closed.Store(true)
		n.drainQueues(time.Second)
		err = n.teardown()
		n.log.Info("node closed", "id", n.ID().String())
	})
	return err
}

// teardown ends every goroutine the node started and closes the transport,
// the subscriptions and the watches: the end of Close, after the leave.
func (n *Node) teardown() error {
	n.cancel()
	close(n.quit)
	n.wg.Wait()
	n.vpool.stop() // after the loop, its only user
	err := n.conn.Close()
	n.bg.Wait()
	n.closeHandles()
	n.closeWatches()
	return err
}

// drainQueues waits, up to limit of real time, until the transport's send
// queues are empty, so that the PRUNEs of Close leave.
func (n *Node) drainQueues(limit time.Duration) {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		busy := false
		for _, p := range n.conn.Peers() {
			if ps, ok := n.conn.PeerStats(p); ok && ps.QueuedBytes > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		<-t.C
	}
}

// errClosed maps a closed node to ErrClosed, other errors unchanged.
func (n *Node) errClosed(err error) error {
	if errors.Is(err, transport.ErrClosed) {
		return ErrClosed
	}
	return err
}
