//go:build !linux

package transport

import (
	"errors"
	"net"
)

// batchIO falls back to one syscall per datagram where x/net has no
// recvmmsg/sendmmsg.
type batchIO struct{ c *net.UDPConn }

func newBatchIO(c *net.UDPConn, _ bool) *batchIO { return &batchIO{c: c} }

func (b *batchIO) read(pkts []Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	n, ap, err := b.c.ReadFromUDPAddrPort(pkts[0].Buf)
	if err != nil {
		return 0, err
	}
	pkts[0].N, pkts[0].Addr, pkts[0].Segment = n, netipUnmap(ap), 0
	return 1, nil
}

// write sends pkts one by one; it returns how many were lost and the first
// error (net.ErrClosed: the socket is closed).
func (b *batchIO) write(pkts []Packet) (lost int, err error) {
	for i := range pkts {
		if _, werr := b.c.WriteToUDPAddrPort(pkts[i].Buf, pkts[i].Addr); werr != nil {
			if errors.Is(werr, net.ErrClosed) {
				return lost, werr
			}
			lost++
			if err == nil {
				err = werr
			}
		}
	}
	return lost, err
}

func forceBuffers(*net.UDPConn) {}

// coalesceBatch is unused where nothing coalesces.
const coalesceBatch = 0

func (b *batchIO) coalesces() bool { return false }

func (b *batchIO) offload() offloadState { return offloadState{} }

func (b *batchIO) disableOffload() {}
