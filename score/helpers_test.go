package score

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// t0 is the start of every test's virtual time.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pid returns a test peer ID whose first byte is b.
func pid(b byte) peer.ID { return peer.ID{b} }

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// baseParams is a valid Params with every global component off and decay
// every second, for tests to adjust.
func baseParams(topics map[string]*TopicParams) Params {
	return Params{
		Topics:        topics,
		DecayInterval: time.Second,
		DecayToZero:   0.01,
	}
}

func mustNew(t testing.TB, p Params) *Scorer {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// closeTo compares with a relative tolerance for sums computed in a
// different order.
func closeTo(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := max(abs(a), abs(b), 1)
	return d <= 1e-9*m
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
