package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Unix(0, 0)
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	r := New(20, 5, 2)
	for i := range 5 {
		if !r.Allow(a, t0) {
			t.Fatalf("packet %d of the burst refused", i)
		}
	}
	if r.Allow(a, t0) {
		t.Fatal("packet past the burst allowed")
	}
	if !r.Allow(a, t0.Add(50*time.Millisecond)) {
		t.Fatal("refilled token refused")
	}
	if !r.Allow(b, t0) {
		t.Fatal("second address refused")
	}
	if r.Allow(c, t0) {
		t.Fatal("address past the table bound allowed")
	}
	r.GC(t0.Add(time.Second)) // both buckets full again: forgotten
	if !r.Allow(c, t0.Add(time.Second)) {
		t.Fatal("address refused after GC")
	}
}
