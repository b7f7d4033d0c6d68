// Package replay is the anti-replay sliding window of RFC 6479 ("IPsec
// Anti-Replay Algorithm without Bit Shifting"), which the WireGuard paper
// (Donenfeld, "WireGuard: Next Generation Kernel Network Tunnel", NDSS 2017,
// §5.4.6) prescribes for the 64-bit counter nonce of transport data messages:
// a ring of 64-bit blocks, all but one of them inside the window, so whole
// blocks are cleared as the window moves instead of shifting bits. It is for
// package transport only.
package replay

const (
	blockBits  = 64
	ringBlocks = 256 // power of two
	blockMask  = ringBlocks - 1

	// WindowSize is how far behind the highest counter seen a packet may
	// still be accepted: (256-1)*64 = 16320 counters, about twice the 8128
	// that Linux WireGuard keeps since it grew its window to survive
	// fq_codel reordering (drivers/net/wireguard/messages.h,
	// COUNTER_WINDOW_SIZE).
	WindowSize = (ringBlocks - 1) * blockBits

	// RejectAfterMessages: counters this high are never accepted (nor sent),
	// so the 64-bit nonce never wraps (Reject-After-Messages, the WireGuard
	// paper §6).
	RejectAfterMessages = ^uint64(0) - (1 << 13)
)

// Filter rejects duplicate and too-old counters. The zero value is an empty
// window ready for use. It is not safe for concurrent use: one receiving
// goroutine owns it.
//
// While every counter arrives in order, the seen counters are exactly
// 0..last-1 and the filter needs no ring: it allocates its 2 KiB ring at
// the first gap (a loss or a reordering), filled as it would be after that
// in-order prefix. Sessions that never see one (most on a LAN, and every
// idle one) stay 16 bytes.
type Filter struct {
	last uint64 // highest counter accepted + 1 (0: none yet)
	ring *[ringBlocks]uint64
}

// Check reports whether counter is new and inside the window, and if so
// records it (a false result leaves the window unchanged). Call it only
// after the packet carrying counter authenticated.
func (f *Filter) Check(counter uint64) bool {
	if counter >= RejectAfterMessages {
		return false
	}
	c := counter + 1 // so that 0 means "nothing seen"
	if f.ring == nil {
		if c == f.last+1 {
			f.last = c
			return true
		}
		if c <= f.last {
			return false // seen, or behind the window
		}
		f.materialize()
	}
	if c > f.last {
		cur := f.last / blockBits
		next := c / blockBits
		if f.last == 0 {
			cur = next - 1
			if next == 0 {
				cur = 0
			}
		}
		diff := min(next-cur, ringBlocks)
		for i := uint64(1); i <= diff; i++ {
			f.ring[(cur+i)&blockMask] = 0
		}
		f.last = c
	} else if f.last-c >= WindowSize {
		return false
	}
	block := (c / blockBits) & blockMask
	bit := uint64(1) << (c % blockBits)
	if f.ring[block]&bit != 0 {
		return false
	}
	f.ring[block] |= bit
	return true
}

// materialize allocates the ring as if c = 1..last had been checked in
// order: every bit of the blocks behind last's within the ring, and in
// last's own block the bits up to last's (and c = 0's, which no counter
// maps to).
func (f *Filter) materialize() {
	f.ring = new([ringBlocks]uint64)
	if f.last == 0 {
		return
	}
	cur := f.last / blockBits
	for b := cur - min(cur, ringBlocks-1); b < cur; b++ {
		f.ring[b&blockMask] = ^uint64(0)
	}
	f.ring[cur&blockMask] = ^uint64(0) >> (blockBits - 1 - f.last%blockBits)
}
