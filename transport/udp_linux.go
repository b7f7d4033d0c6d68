//go:build linux

package transport

import (
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// batchIO moves datagrams with recvmmsg/sendmmsg through x/net's
// ReadBatch/WriteBatch (wireguard-go conn/bind_std.go does the same).
type batchIO struct {
	v4    *ipv4.PacketConn
	v6    *ipv6.PacketConn
	rmsgs []ipv4.Message // ipv6.Message is the same type
	wmsgs []ipv4.Message
	wbufs [][1][]byte
}

func newBatchIO(c *net.UDPConn, is6 bool) batchIO {
	b := batchIO{
		rmsgs: make([]ipv4.Message, batchSize),
		wmsgs: make([]ipv4.Message, batchSize),
		wbufs: make([][1][]byte, batchSize),
	}
	if is6 {
		b.v6 = ipv6.NewPacketConn(c)
	} else {
		b.v4 = ipv4.NewPacketConn(c)
	}
	for i := range b.rmsgs {
		b.rmsgs[i].Buffers = make([][]byte, 1)
	}
	return b
}

func (b *batchIO) read(pkts []Packet) (int, error) {
	n := min(len(pkts), len(b.rmsgs))
	msgs := b.rmsgs[:n]
	for i := range msgs {
		msgs[i].Buffers[0] = pkts[i].Buf
	}
	var got int
	var err error
	if b.v4 != nil {
		got, err = b.v4.ReadBatch(msgs, 0)
	} else {
		got, err = b.v6.ReadBatch(msgs, 0)
	}
	if err != nil {
		return 0, err
	}
	for i := range got {
		pkts[i].N = msgs[i].N
		if ua, ok := msgs[i].Addr.(*net.UDPAddr); ok {
			ap := ua.AddrPort()
			pkts[i].Addr = netipUnmap(ap)
		}
	}
	return got, nil
}

func (b *batchIO) write(pkts []Packet, addrs []net.UDPAddr) error {
	msgs := b.wmsgs[:len(pkts)]
	for i := range pkts {
		b.wbufs[i][0] = pkts[i].Buf
		msgs[i].Buffers = b.wbufs[i][:]
		msgs[i].Addr = &addrs[i]
	}
	for len(msgs) > 0 {
		var n int
		var err error
		if b.v4 != nil {
			n, err = b.v4.WriteBatch(msgs, 0)
		} else {
			n, err = b.v6.WriteBatch(msgs, 0)
		}
		if err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

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
