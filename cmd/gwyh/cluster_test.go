package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// The recorder counts first receipts per (message, node), as bench's
// delivery_ratio and demo's deliveries say: a message delivered twice to
// one node (its id forgotten, or republished) counts once, and neither
// completes a message early nor adds a latency sample.
func TestRecorderCountsFirstReceipts(t *testing.T) {
	const nodes = 70 // more than one word of the per-message bitset
	tests := []struct {
		name         string
		deliveries   [][2]int // (node, seq)
		total        int64
		complete     int64
		latencySamps int
	}{
		{"each once", [][2]int{{1, 0}, {2, 0}, {1, 1}}, 3, 0, 3},
		{"duplicates", [][2]int{{1, 0}, {1, 0}, {69, 0}, {69, 0}, {65, 1}, {65, 1}}, 3, 0, 3},
		{"out of range", [][2]int{{1, 5}, {70, 0}, {-1, 0}}, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(2, nodes)
			for _, d := range tc.deliveries {
				r.delivered(d[0], uint64(d[1]), time.Millisecond)
			}
			if r.total.Load() != tc.total || r.complete.Load() != tc.complete || r.samples() != tc.latencySamps {
				t.Fatalf("total %d complete %d samples %d; want %d %d %d",
					r.total.Load(), r.complete.Load(), r.samples(), tc.total, tc.complete, tc.latencySamps)
			}
		})
	}
	// A message is complete when every node but its publisher got it once,
	// however many duplicates came before.
	r := newRecorder(1, 3)
	for range 5 {
		r.delivered(1, 0, time.Millisecond)
	}
	if r.complete.Load() != 0 {
		t.Fatal("duplicates at one node completed a message")
	}
	r.delivered(2, 0, time.Millisecond)
	if r.complete.Load() != 1 || r.total.Load() != 2 {
		t.Fatalf("complete %d total %d; want 1 and 2", r.complete.Load(), r.total.Load())
	}
}

// The recorder's percentiles are over first receipts only, per message
// range, in microseconds.
func TestRecorderPercentiles(t *testing.T) {
	r := newRecorder(3, 4)
	for i, ms := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		r.delivered(1+i%3, uint64(i/3), time.Duration(ms)*time.Millisecond)
	}
	r.delivered(1, 0, time.Hour) // a duplicate: no sample
	tests := []struct {
		lo, hi             uint64
		p50, p90, p99, max time.Duration
	}{
		{0, 3, 5 * time.Millisecond, 9 * time.Millisecond, 9 * time.Millisecond, 9 * time.Millisecond},
		{1, 2, 5 * time.Millisecond, 6 * time.Millisecond, 6 * time.Millisecond, 6 * time.Millisecond},
		{2, 9, 8 * time.Millisecond, 9 * time.Millisecond, 9 * time.Millisecond, 9 * time.Millisecond},
		{3, 3, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		p50, p90, p99, mx := r.percentilesOf(tc.lo, tc.hi)
		if p50 != tc.p50 || p90 != tc.p90 || p99 != tc.p99 || mx != tc.max {
			t.Errorf("messages %d..%d: %v %v %v %v, want %v %v %v %v", tc.lo, tc.hi, p50, p90, p99, mx, tc.p50, tc.p90, tc.p99, tc.max)
		}
	}
}

// TestClusterGRO: bench's -gro reaches every node's transport.
func TestClusterGRO(t *testing.T) {
	for _, gro := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := startCluster(ctx, clusterSpec{
			nodes: 2, degree: 1, d: 1, heartbeat: 100 * time.Millisecond,
			sign: router.StrictNoSign, seed: 1, topic: "t", msgs: 1, gro: gro,
		})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		st := func() transport.Stats {
			s, err := c.nodes[0].Stats()
			if err != nil {
				t.Fatal(err)
			}
			return s.Transport
		}
		if gro && !st().GSO {
			c.close()
			cancel()
			t.Skip("no UDP offload in this kernel")
		}
		testkit.Eventually(t, 5*time.Second, fmt.Sprintf("transport GRO = %v", gro), func() bool {
			return st().GRO == gro
		})
		c.close()
		cancel()
	}
}
