package peering

import (
	"math"
	"testing"
	"time"
)

// entry.failures stops at maxFailures: backoffDelay is the same for every
// count from 128 on, even for bounds whose doubling overflows.
func TestBackoffDelaySaturates(t *testing.T) {
	bounds := []struct{ base, maxD time.Duration }{
		{time.Second, time.Minute}, {1, 1}, {1, math.MaxInt64}, {3, math.MaxInt64 - 1}, {time.Hour, 1 << 62},
	}
	for _, b := range bounds {
		want := backoffDelay(b.base, b.maxD, maxFailures, 0.5)
		for n := 128; n < 2000; n++ {
			if got := backoffDelay(b.base, b.maxD, n, 0.5); got != want {
				t.Fatalf("backoffDelay(%v, %v, %d) = %v, want %v as at %d", b.base, b.maxD, n, got, want, maxFailures)
			}
		}
	}
}
