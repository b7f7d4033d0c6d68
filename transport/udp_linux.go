//go:build linux

package transport

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP offloads (Linux ≥ 4.18 for GSO, ≥ 5.0 for GRO; udp(7), and
// wireguard-go conn/gso_linux.go): a send whose control message carries
// UDP_SEGMENT is cut by the kernel into datagrams of that size, the last
// one possibly shorter; with UDP_GRO on, the kernel hands a run of
// datagrams of one flow and size to one receive, with their size in a
// control message.
const (
	// maxGSOSegments is the most datagrams one segmented send carries
	// (UDP_MAX_SEGMENTS of older kernels; newer ones allow 128).
	maxGSOSegments = 64
	// maxGSOBytes bounds a segmented send: the largest UDP payload in an
	// IPv4 packet (65535 less the IPv4 and UDP headers).
	maxGSOBytes = 65535 - 20 - 8
	// coalesceBatch is how many buffers of CoalesceBufferSize the reader
	// offers when the socket coalesces: few, as each is 64 KiB, but each
	// may hold dozens of datagrams.
	coalesceBatch = 8
	// rcvControlSize is the control buffer of each received message: room
	// for the UDP_GRO and SO_RXQ_OVFL messages (24 bytes each) and a
	// spare.
	rcvControlSize = 64
)

// gsoControlSize is the control buffer of one segmented send (a uint16).
var gsoControlSize = unix.CmsgSpace(2)

// mmsghdr is struct mmsghdr of sendmmsg(2) and recvmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// mmsgFunc is one sendmmsg or recvmmsg call on fd: how many of hs it
// processed, or the errno.
type mmsgFunc func(fd uintptr, hs []mmsghdr) (int, syscall.Errno)

func sendmmsg(fd uintptr, hs []mmsghdr) (int, syscall.Errno) {
	n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), 0, 0, 0)
	return int(n), e
}

func recvmmsg(fd uintptr, hs []mmsghdr) (int, syscall.Errno) {
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), 0, 0, 0)
	return int(n), e
}

// batchIO moves datagrams with recvmmsg/sendmmsg on the socket's own
// buffers (nothing is allocated per call), with UDP GSO and GRO where the
// kernel has them. read is called by one goroutine and write by one other.
type batchIO struct {
	rc  syscall.RawConn
	is6 bool

	// gso: segmented sends are on (writer only, read by stats).
	// gsoFallbacks: times the kernel refused one and gso went off.
	gso          atomic.Bool
	gsoFallbacks atomic.Uint64
	// groOK: the kernel has UDP_GRO. gro: it is on now (reader only; see
	// read), groOn mirrors it for stats.
	groOK bool
	gro   bool
	groOn atomic.Bool
	// ovfl: the kernel reports its drops (SO_RXQ_OVFL). kernelDrops is
	// the largest count it reported: datagrams it dropped because the
	// socket's receive buffer was full (written by the reader).
	ovfl        bool
	kernelDrops atomic.Uint64

	// read side, reader goroutine only
	rhdrs []mmsghdr
	riovs []unix.Iovec
	rsas  []unix.RawSockaddrInet6
	rctl  []byte
	rfunc func(uintptr) bool
	rbufs []mmsghdr // the messages rfunc receives into
	rn    int
	rerr  syscall.Errno

	// write side, writer goroutine only. wfirst[i], wcount[i]: the packets
	// message i carries.
	whdrs  []mmsghdr
	wiovs  []unix.Iovec
	wsas   []unix.RawSockaddrInet6
	wctl   []byte
	wfirst []int
	wcount []int
	wfunc  func(uintptr) bool
	wn     int
	werr   syscall.Errno
	wbuf   []mmsghdr // the messages wfunc sends

	// send and recv are sendmmsg and recvmmsg; tests replace send to play
	// a kernel that refuses segmented sends.
	send, recv mmsgFunc
}

func newBatchIO(c *net.UDPConn, is6 bool) *batchIO {
	b := &batchIO{
		is6:    is6,
		rhdrs:  make([]mmsghdr, batchSize),
		riovs:  make([]unix.Iovec, batchSize),
		rsas:   make([]unix.RawSockaddrInet6, batchSize),
		rctl:   make([]byte, batchSize*rcvControlSize),
		whdrs:  make([]mmsghdr, batchSize),
		wiovs:  make([]unix.Iovec, batchSize),
		wsas:   make([]unix.RawSockaddrInet6, batchSize),
		wctl:   make([]byte, batchSize*gsoControlSize),
		wfirst: make([]int, batchSize),
		wcount: make([]int, batchSize),
		send:   sendmmsg,
		recv:   recvmmsg,
	}
	b.rfunc = b.readFD
	b.wfunc = b.writeFD
	rc, err := c.SyscallConn()
	if err != nil {
		// A *net.UDPConn always has one; keep the error for every call.
		b.rc = errRawConn{err}
		return b
	}
	b.rc = rc
	_ = rc.Control(func(fd uintptr) {
		// GSO: the option is readable where the kernel knows it. GRO: it
		// can be switched on; it stays off until read is given buffers
		// large enough for what it coalesces.
		if _, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT); err == nil {
			b.gso.Store(true)
		}
		// SO_RXQ_OVFL (Linux ≥ 2.6.33, socket(7)): each datagram carries
		// the count of datagrams the socket dropped before it was queued,
		// so that drops in the kernel are counted too.
		b.ovfl = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1) == nil
		if unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil {
			b.groOK = true
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 0)
		}
	})
	return b
}

func (b *batchIO) coalesces() bool { return b.groOK }

func (b *batchIO) offload() offloadState {
	return offloadState{gso: b.gso.Load(), gro: b.groOn.Load(), fallbacks: b.gsoFallbacks.Load(), kernelDrops: b.kernelDrops.Load()}
}

// disableOffload turns GSO and GRO off for good (tests compare with and
// without them).
func (b *batchIO) disableOffload() {
	b.gso.Store(false)
	b.setGRO(false)
	b.groOK = false
}

// setGRO turns coalescing on or off: on only while every buffer offered
// holds CoalesceBufferSize bytes, so that nothing coalesced is truncated.
func (b *batchIO) setGRO(on bool) {
	if !b.groOK || on == b.gro {
		return
	}
	v := 0
	if on {
		v = 1
	}
	var err error
	cerr := b.rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, v)
	})
	if cerr != nil || err != nil {
		if on {
			b.groOK = false // refused now: read without it from here on
		}
		return
	}
	b.gro = on
	b.groOn.Store(on)
}

func (b *batchIO) read(pkts []Packet) (int, error) {
	n := min(len(pkts), len(b.rhdrs))
	if n == 0 {
		return 0, nil
	}
	big := true
	for i := range n {
		if len(pkts[i].Buf) < CoalesceBufferSize {
			big = false
			break
		}
	}
	b.setGRO(big)
	hs := b.rhdrs[:n]
	for i := range hs {
		buf := pkts[i].Buf
		iov := &b.riovs[i]
		iov.Base = unsafe.SliceData(buf)
		iov.SetLen(len(buf))
		h := &hs[i].hdr
		*h = unix.Msghdr{}
		h.Name = (*byte)(unsafe.Pointer(&b.rsas[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = iov
		h.SetIovlen(1)
		if b.gro || b.ovfl {
			h.Control = &b.rctl[i*rcvControlSize]
			h.SetControllen(rcvControlSize)
		}
		hs[i].n = 0
	}
	b.rbufs = hs
	if err := b.rc.Read(b.rfunc); err != nil {
		return 0, err
	}
	if b.rerr != 0 {
		return 0, os.NewSyscallError("recvmmsg", b.rerr)
	}
	drops := b.kernelDrops.Load()
	for i := range b.rn {
		h := &hs[i]
		p := &pkts[i]
		p.N = min(int(h.n), len(p.Buf))
		p.Addr = sockaddrPort(&b.rsas[i])
		p.Segment = 0
		if h.hdr.Controllen > 0 {
			seg, d := parseControl(b.rctl[i*rcvControlSize : i*rcvControlSize+int(h.hdr.Controllen)])
			if b.gro {
				p.Segment = seg
			}
			drops = max(drops, d)
		}
	}
	if drops > b.kernelDrops.Load() {
		b.kernelDrops.Store(drops)
	}
	return b.rn, nil
}

// readFD is the RawConn.Read callback (bound once, so that read does not
// allocate): false asks to wait until the socket is readable.
func (b *batchIO) readFD(fd uintptr) bool {
	return callMmsg(b.recv, fd, b.rbufs, &b.rn, &b.rerr)
}

// callMmsg calls fn on msgs until it is done, as a RawConn callback wants:
// it retries EINTR, reports false on EAGAIN (wait until the socket is
// ready), and otherwise stores the count and errno in *n and *errno and
// reports true.
func callMmsg(fn mmsgFunc, fd uintptr, msgs []mmsghdr, n *int, errno *syscall.Errno) bool {
	for {
		k, e := fn(fd, msgs)
		switch e {
		case 0:
			*n, *errno = k, 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		default:
			*n, *errno = 0, e
			return true
		}
	}
}

// parseControl returns what the control messages in ctl of one received
// message give: the segment size of a UDP_GRO message (0 if none) and the
// socket's drop count of an SO_RXQ_OVFL message (0 if none; the kernel
// sends one only once it dropped something). A malformed message ends the
// parse.
func parseControl(ctl []byte) (seg int, drops uint64) {
	for len(ctl) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(ctl) {
			return seg, drops
		}
		d := ctl[unix.CmsgLen(0):l]
		switch {
		case h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_GRO && len(d) >= 4:
			seg = int(*(*int32)(unsafe.Pointer(&d[0])))
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(d) >= 4:
			drops = uint64(*(*uint32)(unsafe.Pointer(&d[0])))
		}
		ctl = ctl[min(len(ctl), unix.CmsgSpace(l-unix.CmsgLen(0))):]
	}
	return seg, drops
}

// write sends pkts (at most batchSize): each run gsoRun finds goes as one
// message when GSO is on. It returns how many datagrams were lost and the
// first error; net.ErrClosed means the socket is closed.
func (b *batchIO) write(pkts []Packet) (lost int, err error) {
	nh, bad := b.pack(pkts)
	if bad > 0 {
		err = fmt.Errorf("transport: %d datagrams to unusable addresses", bad)
	}
	// lost counts send failures; bad datagrams are added at the end.
	defer func() { lost += bad }()
	hs := b.whdrs[:nh]
	for off := 0; off < len(hs); {
		b.wbuf = hs[off:]
		if rerr := b.rc.Write(b.wfunc); rerr != nil {
			return lost, rerr
		}
		if b.werr == 0 {
			off += b.wn
			continue
		}
		e := b.werr
		if b.wcount[off] > 1 && (e == unix.EIO || e == unix.EINVAL) {
			// The kernel or device refuses segmented sends (EIO: no
			// checksum offload; EINVAL: a segment over the route's MTU):
			// send the rest one datagram per message from now on.
			b.gso.Store(false)
			b.gsoFallbacks.Add(1)
			rest := pkts[b.wfirst[off]:]
			bad -= b.unusable(rest) // the call below counts them
			l, rerr := b.write(rest)
			if err == nil {
				err = rerr
			}
			return lost + l, err
		}
		// This message is lost, as UDP may lose it; go on with the rest.
		lost += b.wcount[off]
		if err == nil {
			err = os.NewSyscallError("sendmmsg", e)
		}
		off++
	}
	return lost, err
}

// writeFD is the RawConn.Write callback for wbuf (bound once).
func (b *batchIO) writeFD(fd uintptr) bool {
	return callMmsg(b.send, fd, b.wbuf, &b.wn, &b.werr)
}

// pack fills whdrs with the messages for pkts and returns their number,
// and how many datagrams were skipped for an address the socket cannot
// send to.
func (b *batchIO) pack(pkts []Packet) (nh, bad int) {
	gso := b.gso.Load()
	for i := 0; i < len(pkts); {
		k := 1
		if gso {
			k = gsoRun(pkts[i:], maxGSOSegments, maxGSOBytes)
		}
		sa := &b.wsas[nh]
		salen := putSockaddr(sa, pkts[i].Addr, b.is6)
		if salen == 0 {
			bad++
			i++ // the run breaks on its address: retry the others of it
			continue
		}
		for j := range k {
			iov := &b.wiovs[i+j]
			iov.Base = unsafe.SliceData(pkts[i+j].Buf)
			iov.SetLen(len(pkts[i+j].Buf))
		}
		h := &b.whdrs[nh].hdr
		*h = unix.Msghdr{}
		h.Name = (*byte)(unsafe.Pointer(sa))
		h.Namelen = salen
		h.Iov = &b.wiovs[i]
		h.SetIovlen(k)
		if k > 1 {
			ctl := b.wctl[nh*gsoControlSize : (nh+1)*gsoControlSize]
			clear(ctl)
			cm := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
			cm.Level = unix.IPPROTO_UDP
			cm.Type = unix.UDP_SEGMENT
			cm.SetLen(unix.CmsgLen(2))
			*(*uint16)(unsafe.Pointer(&ctl[unix.CmsgLen(0)])) = uint16(len(pkts[i].Buf))
			h.Control = &ctl[0]
			h.SetControllen(len(ctl))
		}
		b.whdrs[nh].n = 0
		b.wfirst[nh], b.wcount[nh] = i, k
		nh++
		i += k
	}
	return nh, bad
}

// unusable counts the packets whose address the socket cannot send to.
func (b *batchIO) unusable(pkts []Packet) int {
	var sa unix.RawSockaddrInet6
	n := 0
	for i := range pkts {
		if putSockaddr(&sa, pkts[i].Addr, b.is6) == 0 {
			n++
		}
	}
	return n
}

// putSockaddr writes ap into sa in the socket's family and returns its
// length, or 0 if the socket cannot send to ap.
func putSockaddr(sa *unix.RawSockaddrInet6, ap netip.AddrPort, is6 bool) uint32 {
	a := ap.Addr()
	if !a.IsValid() || ap.Port() == 0 {
		return 0
	}
	port := ap.Port()
	if !is6 {
		if !a.Is4() && !a.Is4In6() {
			return 0
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return unix.SizeofSockaddrInet6
}

// sockaddrPort reads the source address the kernel stored in sa, with an
// IPv4-mapped IPv6 address as plain IPv4.
func sockaddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	port := uint16(p[0])<<8 | uint16(p[1])
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port)
	}
	return netip.AddrPort{}
}

// errRawConn is a syscall.RawConn that fails every call.
type errRawConn struct{ err error }

func (e errRawConn) Control(func(uintptr)) error    { return e.err }
func (e errRawConn) Read(func(uintptr) bool) error  { return e.err }
func (e errRawConn) Write(func(uintptr) bool) error { return e.err }

// forceBuffers tries SO_RCVBUFFORCE/SO_SNDBUFFORCE, which pass rmem_max when
// the process has CAP_NET_ADMIN; failures are ignored.
func forceBuffers(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_RCVBUFFORCE, socketBufferSize)
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_SNDBUFFORCE, socketBufferSize)
	})
}
