package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Unix(0, 0)
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
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
	r.GC(t0.Add(time.Second)) // both buckets full again: forgotten
	if r.Len() != 0 {
		t.Fatalf("%d buckets after GC", r.Len())
	}
}

// A full table forgets its least recently used source instead of refusing
// new ones (which let a few spoofed sources lock everyone out).
func TestLimiterEvictsWhenFull(t *testing.T) {
	t0 := time.Unix(0, 0)
	r := New(0.001, 1, 2)
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	r.Allow(a, t0)
	r.Allow(b, t0)
	if !r.Allow(c, t0) {
		t.Fatal("new source refused with the table full")
	}
	if r.Len() != 2 {
		t.Fatalf("%d buckets, want 2", r.Len())
	}
	if r.Allow(b, t0) || r.Allow(c, t0) {
		t.Fatal("recent sources lost their buckets")
	}
}

func TestSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.1.2.3", "10.1.2.3"},
		{"::ffff:10.1.2.3", "10.1.2.3"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"},
		{"2001:db8:1:2::1", "2001:db8:1:2::"},
		{"fe80::1%eth0", "fe80::"},
	}
	for _, tt := range tests {
		if got := Source(netip.MustParseAddr(tt.in)); got != netip.MustParseAddr(tt.want) {
			t.Errorf("Source(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// One /64 shares a bucket; another /64 has its own.
	t0 := time.Unix(0, 0)
	r := New(0.001, 1, 8)
	if !r.Allow(netip.MustParseAddr("2001:db8::1"), t0) {
		t.Fatal("first packet refused")
	}
	if r.Allow(netip.MustParseAddr("2001:db8::2"), t0) {
		t.Fatal("same /64 got a fresh bucket")
	}
	if !r.Allow(netip.MustParseAddr("2001:db8:0:1::1"), t0) {
		t.Fatal("another /64 refused")
	}
}
