//go:build !linux

package transport

import "net"

// batchIO falls back to one syscall per datagram where x/net has no
// recvmmsg/sendmmsg.
type batchIO struct{ c *net.UDPConn }

func newBatchIO(c *net.UDPConn, _ bool) batchIO { return batchIO{c: c} }

func (b *batchIO) read(pkts []Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	n, ap, err := b.c.ReadFromUDPAddrPort(pkts[0].Buf)
	if err != nil {
		return 0, err
	}
	pkts[0].N, pkts[0].Addr = n, netipUnmap(ap)
	return 1, nil
}

func (b *batchIO) write(pkts []Packet, _ []net.UDPAddr) error {
	for i := range pkts {
		if _, err := b.c.WriteToUDPAddrPort(pkts[i].Buf, pkts[i].Addr); err != nil {
			return err
		}
	}
	return nil
}

func forceBuffers(*net.UDPConn) {}
