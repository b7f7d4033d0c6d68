package sim

// bufPool recycles the buffers of router packets in flight. A router
// keeps no reference to a payload once the Output of HandlePayload is
// acted on and its validations are answered (router.HandlePayload's
// contract; the simulator answers validations within the same flush), so
// receive hands each buffer back here and sendPacket takes its copies from
// here instead of allocating one per packet.
//
// Buffers come in power-of-two size classes from minPoolBuf to
// maxPoolBuf bytes; larger payloads are allocated and left to the
// collector. The zero value is an empty pool.
type bufPool struct {
	free [poolClasses][][]byte
}

const (
	minPoolShift = 6 // 64 bytes
	poolClasses  = 7 // up to 4 KiB
	minPoolBuf   = 1 << minPoolShift
	maxPoolBuf   = minPoolBuf << (poolClasses - 1)
)

// class returns the size class of a buffer of n bytes (n ≤ maxPoolBuf).
func poolClass(n int) int {
	c := 0
	for minPoolBuf<<c < n {
		c++
	}
	return c
}

// get returns a buffer of length n, recycled when one of its class is free.
func (p *bufPool) get(n int) []byte {
	if n > maxPoolBuf {
		return make([]byte, n)
	}
	c := poolClass(n)
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		return b[:n]
	}
	return make([]byte, n, minPoolBuf<<c)
}

// put returns b, which nothing references any more, for reuse. Buffers
// that get did not hand out from a class (another capacity) are dropped.
func (p *bufPool) put(b []byte) {
	n := cap(b)
	if n < minPoolBuf || n > maxPoolBuf || n&(n-1) != 0 {
		return
	}
	c := poolClass(n)
	p.free[c] = append(p.free[c], b[:0])
}
