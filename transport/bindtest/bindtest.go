// Package bindtest is the in-memory twin of a UDP socket for transport tests,
// in the manner of wireguard-go's conn/bindtest: a Network of Sockets that
// hand datagrams to each other through bounded channels, with optional
// seeded loss and reordering, a tap to observe traffic and Inject to forge it.
package bindtest

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"

	"github.com/gwyh/gwyh/transport"
)

// ErrClosed is returned by a closed Socket.
var ErrClosed = errors.New("bindtest: socket closed")

// queueLen is each socket's receive queue, in datagrams; beyond it datagrams
// are lost like on a full UDP socket buffer.
const queueLen = 8192

// Conditions describe the links of a Network. The zero value is a perfect
// network.
type Conditions struct {
	// Loss is the probability in [0,1] that a datagram is dropped.
	Loss float64
	// Reorder is the probability that a datagram is held back and delivered
	// right after the next datagram on the same link (from the same source
	// address to the same destination), so the two arrive swapped. A held
	// datagram waits for that next one: a link's last datagram may stay held.
	Reorder float64
	// Seed seeds the loss and reorder decisions.
	Seed uint64
}

// Network connects Sockets by address. All methods are safe for concurrent use.
type Network struct {
	mu    sync.Mutex
	socks map[netip.AddrPort]*Socket
	next  uint16
	cond  Conditions
	rng   *rand.Rand
	held  map[link]datagram // per link, the datagram waiting for the next
	tap   func(from, to netip.AddrPort, pkt []byte)
	lost  uint64
}

type datagram struct {
	from, to netip.AddrPort
	b        []byte
}

// link is one direction between two sockets.
type link struct{ from, to netip.AddrPort }

// NewNetwork returns an empty perfect network.
func NewNetwork() *Network {
	return &Network{socks: map[netip.AddrPort]*Socket{}, held: map[link]datagram{}, rng: rand.New(rand.NewPCG(0, 0))}
}

// SetConditions changes the link conditions from now on.
func (n *Network) SetConditions(c Conditions) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cond = c
	n.rng = rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
}

// SetTap installs f (nil removes it), called with a private copy of every
// datagram written, before loss is applied. f must not call into n.
func (n *Network) SetTap(f func(from, to netip.AddrPort, pkt []byte)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tap = f
}

// Lost returns how many datagrams the conditions dropped.
func (n *Network) Lost() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lost
}

// Listen opens a socket at 10.0.0.1:port with a fresh port.
func (n *Network) Listen() *Socket {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), 1000+n.next)
	s := &Socket{net: n, addr: addr, in: make(chan datagram, queueLen), done: make(chan struct{})}
	n.socks[addr] = s
	return s
}

// Inject delivers pkt to the socket at to as if from sent it, bypassing
// conditions and the tap.
func (n *Network) Inject(from, to netip.AddrPort, pkt []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deliverLocked(datagram{from, to, append([]byte(nil), pkt...)})
}

func (n *Network) send(from, to netip.AddrPort, pkt []byte) {
	d := datagram{from, to, append([]byte(nil), pkt...)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.tap != nil {
		n.tap(from, to, append([]byte(nil), pkt...))
	}
	if n.cond.Loss > 0 && n.rng.Float64() < n.cond.Loss {
		n.lost++
		return
	}
	l := link{from, to}
	if h, ok := n.held[l]; ok {
		delete(n.held, l)
		n.deliverLocked(d)
		n.deliverLocked(h)
		return
	}
	if n.cond.Reorder > 0 && n.rng.Float64() < n.cond.Reorder {
		n.held[l] = d
		return
	}
	n.deliverLocked(d)
}

func (n *Network) deliverLocked(d datagram) {
	s := n.socks[d.to]
	if s == nil {
		return
	}
	select {
	case s.in <- d:
	default:
		n.lost++
	}
}

// Socket is one endpoint of a Network; it implements transport.Socket.
type Socket struct {
	net       *Network
	addr      netip.AddrPort
	in        chan datagram
	done      chan struct{}
	closeOnce sync.Once
}

var _ transport.Socket = (*Socket)(nil)

// LocalAddr returns the socket's address on the network.
func (s *Socket) LocalAddr() netip.AddrPort { return s.addr }

// ReadBatch blocks for one datagram, then takes whatever else is queued.
func (s *Socket) ReadBatch(pkts []transport.Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	select {
	case d := <-s.in:
		s.fill(&pkts[0], d)
	case <-s.done:
		return 0, ErrClosed
	}
	n := 1
	for n < len(pkts) {
		select {
		case d := <-s.in:
			s.fill(&pkts[n], d)
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

func (s *Socket) fill(p *transport.Packet, d datagram) {
	p.N = copy(p.Buf, d.b)
	p.Addr = d.from
}

// WriteBatch hands every datagram to the network.
func (s *Socket) WriteBatch(pkts []transport.Packet) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	for i := range pkts {
		s.net.send(s.addr, pkts[i].Addr, pkts[i].Buf)
	}
	return nil
}

// Close detaches the socket from the network.
func (s *Socket) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.net.mu.Lock()
		delete(s.net.socks, s.addr)
		s.net.mu.Unlock()
	})
	return nil
}
