package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// socketBufferSize is the SO_RCVBUF/SO_SNDBUF asked for (7 MiB, as
// wireguard-go's conn/controlfns.go and quic-go's DesiredReceiveBufferSize in
// internal/protocol/params.go). Failures are ignored: the kernel caps it at
// net.core.rmem_max/wmem_max.
const socketBufferSize = 7 << 20

// udpSocket is the real Socket: one UDP socket with batched I/O where the
// platform has it (see udp_linux.go, udp_other.go).
type udpSocket struct {
	conn  *net.UDPConn
	local netip.AddrPort
	batch *batchIO
}

var (
	_ Socket    = (*udpSocket)(nil)
	_ coalescer = (*udpSocket)(nil)
)

// ListenUDP opens a UDP socket on addr ("host:port"; IPv4 unless the host is
// an IPv6 literal) with large buffers and batched I/O on Linux.
func ListenUDP(addr string) (Socket, error) {
	network := "udp4"
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Is6() && !ap.Addr().Is4In6() {
		network = "udp6"
	}
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: resolve %q: %w", addr, err)
	}
	c, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %q: %w", addr, err)
	}
	_ = c.SetReadBuffer(socketBufferSize)
	_ = c.SetWriteBuffer(socketBufferSize)
	forceBuffers(c)
	s := &udpSocket{conn: c, local: c.LocalAddr().(*net.UDPAddr).AddrPort()}
	s.batch = newBatchIO(c, network == "udp6")
	return s, nil
}

// LocalAddr returns the bound address (with the port the kernel chose).
func (s *udpSocket) LocalAddr() netip.AddrPort { return s.local }

// Close closes the socket; ReadBatch and WriteBatch then fail.
func (s *udpSocket) Close() error {
	err := s.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// ReadBatch reads up to len(pkts) datagrams (recvmmsg on Linux).
func (s *udpSocket) ReadBatch(pkts []Packet) (int, error) {
	return s.batch.read(pkts)
}

// WriteBatch sends pkts, batchSize per sendmmsg on Linux, where runs of
// datagrams to one address of one size (the last may be shorter) go as one
// segmented send (UDP GSO) when the kernel allows it. Buffers are not
// retained. A datagram to an address the socket cannot reach (another IP
// family, the zero address) is lost, and reported in the error.
func (s *udpSocket) WriteBatch(pkts []Packet) error {
	var lost int
	var first error
	for len(pkts) > 0 {
		n := min(len(pkts), batchSize)
		l, err := s.batch.write(pkts[:n])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			lost += l
			if first == nil {
				first = err
			}
		}
		pkts = pkts[n:]
	}
	if first != nil {
		// Transient errors (ICMP unreachable, ENOBUFS) lose datagrams, as
		// UDP may; the caller counts them.
		return &writeError{lost: lost, err: first}
	}
	return nil
}

func (s *udpSocket) coalesces() bool { return s.batch.coalesces() }

func (s *udpSocket) offload() offloadState { return s.batch.offload() }

// writeError reports a WriteBatch that lost some of its datagrams (the
// others were sent).
type writeError struct {
	lost int
	err  error
}

func (e *writeError) Error() string {
	return fmt.Sprintf("transport: write: %d datagrams lost: %v", e.lost, e.err)
}

func (e *writeError) Unwrap() error { return e.err }

// gsoRun returns how many packets from the start of pkts (at least one)
// can go as one segmented send: they go to one address, all have the
// first one's size but the last, which may be shorter, there are at most
// maxSegs of them and at most maxBytes in all. An empty datagram runs
// alone.
func gsoRun(pkts []Packet, maxSegs, maxBytes int) int {
	seg := len(pkts[0].Buf)
	if seg == 0 {
		return 1
	}
	total, n := seg, 1
	for n < len(pkts) && n < maxSegs {
		l := len(pkts[n].Buf)
		if pkts[n].Addr != pkts[0].Addr || l == 0 || l > seg || total+l > maxBytes {
			break
		}
		total += l
		n++
		if l < seg {
			break // a shorter datagram ends the run
		}
	}
	return n
}

// netipUnmap turns an IPv4-mapped IPv6 address into plain IPv4, so a peer has
// one spelling of its address.
func netipUnmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
