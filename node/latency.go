package node

import (
	"slices"
	"time"
)

// NumLatencyBuckets is the number of bounded buckets of a LatencyHistogram.
const NumLatencyBuckets = 16

// latencyBounds are the upper bounds of LatencyHistogram's buckets: from
// a loop turn (100 µs) to a validator near its timeout (10 s).
var latencyBounds = [NumLatencyBuckets]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// LatencyBounds returns the upper bounds of a LatencyHistogram's buckets,
// increasing, in a new slice.
func LatencyBounds() []time.Duration { return slices.Clone(latencyBounds[:]) }

// LatencyHistogram is a distribution of durations in fixed buckets, a
// value owned by whoever holds it (Stats holds copies).
type LatencyHistogram struct {
	// Counts[i] counts the durations d with LatencyBounds()[i-1] < d ≤
	// LatencyBounds()[i] (no lower bound for i = 0); the last counts
	// those above every bound. Not cumulative.
	Counts [NumLatencyBuckets + 1]uint64
	// Count is the number of durations, Sum their total.
	Count uint64
	Sum   time.Duration
}

// observe counts d (a negative d, from a clock stepping back, as 0).
func (h *LatencyHistogram) observe(d time.Duration) {
	d = max(d, 0)
	i, _ := slices.BinarySearch(latencyBounds[:], d) // the first bound ≥ d
	h.Counts[i]++
	h.Count++
	h.Sum += d
}
