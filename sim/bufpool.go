package sim

import "math/bits"

// bufPool recycles the buffers of router packets in flight. A router
// keeps no reference to a payload once the Output of HandlePayload is
// acted on and its validations are answered (router.HandlePayload's
// contract; the simulator answers validations within the same flush), so
// receive hands each buffer back here and sendPacket takes its copies from
// here instead of allocating one per packet.
//
// Buffers come in size classes from minPoolBuf to maxPoolBuf bytes, four
// per doubling (64, 80, 96, 112, 128, 160, …, 4096), so that a buffer is at
// most a quarter larger than asked (a 300-byte message packet takes 320
// bytes, not 512): the buffers in flight are a large part of a big run's
// memory. Larger payloads are allocated and left to the collector. The
// zero value is an empty pool.
type bufPool struct {
	free [poolClasses][][]byte
}

const (
	minPoolShift = 6 // 64 bytes
	maxPoolShift = 12
	minPoolBuf   = 1 << minPoolShift
	maxPoolBuf   = 1 << maxPoolShift
	poolClasses  = 1 + 4*(maxPoolShift-minPoolShift)
)

// poolClass returns the size class of a buffer of n bytes (n ≤ maxPoolBuf)
// and the capacity of that class's buffers, the least class size ≥ n.
func poolClass(n int) (class, size int) {
	if n <= minPoolBuf {
		return 0, minPoolBuf
	}
	e := bits.Len(uint(n - 1)) // 2^(e-1) < n ≤ 2^e
	base := 1 << (e - 1)
	step := base / 4
	j := (n - base + step - 1) / step // 1..4
	return 4*(e-1-minPoolShift) + j, base + j*step
}

// get returns a buffer of length n, recycled when one of its class is free.
func (p *bufPool) get(n int) []byte {
	if n > maxPoolBuf {
		return make([]byte, n)
	}
	c, size := poolClass(n)
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		return b[:n]
	}
	return make([]byte, n, size)
}

// put returns b, which nothing references any more, for reuse. Buffers
// that get did not hand out from a class (another capacity) are dropped.
func (p *bufPool) put(b []byte) {
	n := cap(b)
	if n < minPoolBuf || n > maxPoolBuf {
		return
	}
	if c, size := poolClass(n); size == n {
		p.free[c] = append(p.free[c], b[:0])
	}
}

// poolKeep is the most free buffers of a class a window worker's pool
// keeps (trim): buffers move between pools with the packets (a worker's
// receivers free what another's senders took), so a pool may otherwise
// gather without bound what others allocate anew.
const poolKeep = 4096

// trim drops the free buffers over poolKeep in each class.
func (p *bufPool) trim() {
	for c, l := range p.free {
		if len(l) > poolKeep {
			clear(l[poolKeep:])
			p.free[c] = l[:poolKeep]
		}
	}
}
