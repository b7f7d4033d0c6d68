package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport/internal/cookie"
	"github.com/gwyh/gwyh/transport/internal/ratelimit"
	"github.com/gwyh/gwyh/transport/internal/reasm"
)

// Conn is one node's transport endpoint: a socket, its sessions with peers,
// and the goroutines that read, write, keep time and answer handshakes
// (four, and one that feeds the Events channel from its backlog; all
// ended by Close). All methods are safe for concurrent use.
type Conn struct {
	opts   Options
	clock  clock.Clock
	local  *localID
	sock   Socket
	laddr  netip.AddrPort
	log    *slog.Logger
	jar    *cookie.Jar
	limit  *ratelimit.Limiter
	hsLoad *ratelimit.Limiter // one global bucket: initiations per second before cookies
	initQ  chan *inInit       // msg1s for the handshake worker (pointers: 512 values took 100 KB a Conn)
	events *eventQueue
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	// callers guards the Events channel against Close for calls that emit
	// from a user goroutine (Disconnect): they hold it shared, Close takes
	// it before closing the channel.
	callers sync.RWMutex
	start   time.Time // origin of ping timestamps (monotonic)
	stats   counters

	// ring is the network keyring (keyring.go), replaced whole by
	// SetNetworkKeys (under ringMu) and read without locks.
	ring   atomic.Pointer[keyring]
	ringMu sync.Mutex

	// rawOut carries handshake and cookie packets to the writer.
	rawOut chan Packet
	// wake nudges the writer (capacity 1).
	wake chan struct{}

	// order is the logical clock of crossed handshakes (crossed.go): it
	// stamps each msg1 as the reader takes it, each attempt of ours as it
	// is registered and each session as it is installed, so that their
	// order is known even where times are equal (one reader batch shares
	// one time, and so does a mock clock).
	order atomic.Uint64

	mu       sync.Mutex // guards the maps below; taken before any peerState.mu
	peers    map[peer.ID]*peerState
	index    map[uint32]*keypair                 // our receiver indices in use
	pending  map[uint32]*handshake               // handshakes in progress by our index
	halfOpen halfOpens                           // responder XX handshakes in pending
	known    *simplelru.LRU[peer.ID, *knownPeer] // see rememberLocked
	cookies  map[netip.AddrPort]storedCookie     // from responders under load, see handleCookie

	readyMu sync.Mutex   // innermost lock; guards ready and peerState.ready
	ready   []*peerState // peers with queued data, for the writer

	reasmMu sync.Mutex
	reasm   *reasm.Pool // every peer's partial messages; guarded by reasmMu

	rcache   *keypair // reader goroutine only: the last keypair looked up
	payloads []Event  // reader goroutine only: the payloads of the packet being read

	tickPeers []*peerState // timer goroutine only: tick's snapshot of peers, reused
	lastSweep time.Time    // timer goroutine only: tick's last keypair sweep
}

// knownPeer is what outlives a session: the newest instance of the peer
// seen (its static key, for IK, and epoch) and the newest initiation
// timestamp of that instance (against replays). See rememberLocked.
type knownPeer struct {
	static []byte
	epoch  uint64
	lastTS tai64n
}

// Listen opens a Conn on addr ("host:port", e.g. "127.0.0.1:0") with identity
// id, or on opts.Socket when set. The Conn is ready for Dial and Send.
func Listen(addr string, id *peer.Identity, opts Options) (*Conn, error) {
	if id == nil {
		return nil, fmt.Errorf("%w: nil identity", ErrConfig)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	clk := o.Clock
	if clk == nil {
		clk = clock.New()
	}
	l, err := newLocalID(id, clk.Now())
	if err != nil {
		return nil, err
	}
	sock := o.Socket
	if sock == nil {
		if sock, err = ListenUDP(addr); err != nil {
			return nil, err
		}
	}
	// One more than MaxPeers: rememberLocked keeps MaxPeers entries and
	// the live peers' entries, of which there are at most MaxPeers.
	known, err := simplelru.NewLRU[peer.ID, *knownPeer](o.MaxPeers+1, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	now := clk.Now()
	c := &Conn{
		clock: clk,
		opts:  o, local: l, sock: sock, laddr: sock.LocalAddr(), log: o.Logger,
		jar:     cookie.New(now),
		limit:   ratelimit.New(o.HandshakeRate, o.HandshakeBurst, 16*o.MaxPeers),
		hsLoad:  ratelimit.New(o.CookieRate, int(o.CookieRate), 1),
		done:    make(chan struct{}),
		start:   now,
		initQ:   make(chan *inInit, initQueueLen),
		rawOut:  make(chan Packet, 256),
		wake:    make(chan struct{}, 1),
		peers:   map[peer.ID]*peerState{},
		index:   map[uint32]*keypair{},
		pending: map[uint32]*handshake{},
		known:   known,
		reasm: reasm.NewPool(reasm.Limits{
			MaxMessage: o.MaxMessageSize, PeerBytes: o.ReassemblyPeerBytes,
			TotalBytes: o.ReassemblyBytes, MinFragment: minFragmentData,
		}),
		cookies: map[netip.AddrPort]storedCookie{},
	}
	c.ring.Store(newKeyring(o.networkKeys(), nil, time.Time{}))
	c.opts.NetworkKey, c.opts.NetworkKeys = nil, nil // the keyring holds the keys
	c.events = newEventQueue(o.EventQueue, o.EventBytes, c.done)
	c.wg.Add(5)
	go func() {
		defer c.wg.Done()
		c.events.pump()
	}()
	go c.readLoop()
	go c.writeLoop()
	go c.timerLoop()
	go c.handshakeLoop()
	return c, nil
}

// ID returns this Conn's peer ID.
func (c *Conn) ID() peer.ID { return c.local.id.ID() }

// LocalAddr returns the address the socket is bound to.
func (c *Conn) LocalAddr() netip.AddrPort { return c.laddr }

// Events returns the channel on which every received payload and every peer
// up/down event is delivered, in arrival order per peer. It holds at most
// Options.EventQueue events and Options.EventBytes bytes of payloads, and
// each peer at most a fair share of both (see Options.EventBytes). A
// payload that does not fit is dropped and counted (DropEventQueueFull, or
// DropEventPeerShare when its peer is over its share), and reported to its
// sender as lost, so the sender slows down. Peer up/down events are never
// dropped: they wait for room. The channel is closed by Close after all
// goroutines ended.
func (c *Conn) Events() <-chan Event { return c.events.ch }

// QueuedEvents returns how many events wait for the consumer of Events
// and how many may (Options.EventQueue). It replaces len and cap of the
// channel, which holds only the first few of them (the rest wait in a
// backlog that grows on demand).
func (c *Conn) QueuedEvents() (n, limit int) { return c.events.queued() }

// Close stops the Conn: it closes the socket, waits for its goroutines and
// closes the Events channel. Queued payloads are discarded. Pending Dials
// return ErrClosed. Close is idempotent.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		err = c.sock.Close()
		c.wg.Wait()
		c.callers.Lock()
		close(c.events.ch)
		c.callers.Unlock()
	})
	return err
}

func (c *Conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Stats returns a snapshot of the global counters.
func (c *Conn) Stats() Stats {
	s := c.stats.snapshot()
	if o, ok := c.sock.(coalescer); ok {
		st := o.offload()
		s.GSO, s.GRO, s.GSOFallbacks = st.gso, st.gro, st.fallbacks
		s.Drops[DropSocketOverflow] += st.kernelDrops
	}
	c.mu.Lock()
	s.Peers = len(c.peers)
	c.mu.Unlock()
	return s
}

// Peers returns the IDs of peers with a session, sorted.
func (c *Conn) Peers() []peer.ID {
	c.mu.Lock()
	ids := make([]peer.ID, 0, len(c.peers))
	for id, p := range c.peers {
		p.mu.Lock()
		if p.current != nil {
			ids = append(ids, id)
		}
		p.mu.Unlock()
	}
	c.mu.Unlock()
	slices.SortFunc(ids, peer.ID.Compare)
	return ids
}

// PeerStats returns a snapshot of one peer's state, and false if the peer
// has no session.
func (c *Conn) PeerStats(id peer.ID) (PeerStats, bool) {
	c.mu.Lock()
	p := c.peers[id]
	c.mu.Unlock()
	if p == nil {
		return PeerStats{}, false
	}
	p.mu.Lock()
	s := PeerStats{
		Addr: p.address(), RTT: p.rtt, Loss: p.pacer.Loss(), SendRate: p.pacer.Rate(),
		QueuedBytes: p.queue.bytes, QueueDrops: p.queue.drops,
		PacketsSent: p.sent, BytesSent: p.sentBytes, Rekeys: p.rekeys,
		PacketsReceived: p.recvd.Load(), BytesReceived: p.recvdBytes.Load(),
	}
	if p.current != nil {
		s.SessionStart = p.current.created
		if k := p.current.netKey; k != nil {
			s.NetworkKeyID = k.id
		}
	}
	p.mu.Unlock()
	c.reasmMu.Lock()
	s.ReassemblyDrops = p.reasm.Drops()
	c.reasmMu.Unlock()
	return s, true
}

// emit delivers a peer up/down event, waiting for room unless closing.
func (c *Conn) emit(ev Event) { c.events.emit(ev) }

// deliverAll delivers payload events in order, dropping and counting those
// that do not fit (see Events); it reports whether all were delivered.
func (c *Conn) deliverAll(evs []Event) bool {
	all := true
	c.events.deliverAll(evs, func(cause DropCause) {
		c.stats.drop(cause)
		all = false
	})
	return all
}

// sendRaw hands a handshake or cookie packet to the writer.
func (c *Conn) sendRaw(b []byte, to netip.AddrPort) {
	select {
	case c.rawOut <- Packet{Buf: b, Addr: to}:
	default:
		c.stats.drop(DropWriteError)
	}
}

func (c *Conn) nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// errIndexSpace: 64 random draws all hit indices in use (never in practice).
var errIndexSpace = errors.New("transport: no free session index")
