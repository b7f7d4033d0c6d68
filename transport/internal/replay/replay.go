package transport

// Anti-replay sliding window after RFC 6479: a ring of 64-bit blocks, of which
// all but one are in the window, so whole blocks are cleared as the window
// moves instead of shifting bits.

const (
	replayBlockBits  = 64
	replayRingBlocks = 256 // power of two
	replayBlockMask  = replayRingBlocks - 1
	// replayWindow is how far behind the highest counter seen a packet may
	// still be accepted: (256-1)*64 = 16320 counters, ≥ 8192 as required to
	// survive fq_codel-style reordering (transport-anchors §5.3).
	replayWindow = (replayRingBlocks - 1) * replayBlockBits
	// rejectAfterMessages: counters this high are never accepted, so the
	// 64-bit nonce never wraps (wireguard-go RejectAfterMessages).
	rejectAfterMessages = ^uint64(0) - (1 << 13)
)

// replayFilter rejects duplicate and too-old counters. The zero value is an
// empty window ready for use. Not safe for concurrent use.
type replayFilter struct {
	last uint64 // highest counter accepted + 1 (0: none yet)
	ring [replayRingBlocks]uint64
}

// check reports whether counter is new and inside the window, and if so
// records it. It must only be called after the packet authenticated.
func (f *replayFilter) check(counter uint64) bool {
	if counter >= rejectAfterMessages {
		return false
	}
	c := counter + 1 // so that 0 means "nothing seen"
	if c > f.last {
		cur := f.last / replayBlockBits
		next := c / replayBlockBits
		if f.last == 0 {
			cur = next - 1
			if next == 0 {
				cur = 0
			}
		}
		diff := next - cur
		if diff > replayRingBlocks {
			diff = replayRingBlocks
		}
		for i := uint64(1); i <= diff; i++ {
			f.ring[(cur+i)&replayBlockMask] = 0
		}
		f.last = c
	} else if f.last-c >= replayWindow {
		return false
	}
	block := (c / replayBlockBits) & replayBlockMask
	bit := uint64(1) << (c % replayBlockBits)
	if f.ring[block]&bit != 0 {
		return false
	}
	f.ring[block] |= bit
	return true
}
