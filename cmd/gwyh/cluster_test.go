package main

import (
	"testing"
	"time"
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
			if r.total.Load() != tc.total || r.complete.Load() != tc.complete || len(r.lat) != tc.latencySamps {
				t.Fatalf("total %d complete %d samples %d; want %d %d %d",
					r.total.Load(), r.complete.Load(), len(r.lat), tc.total, tc.complete, tc.latencySamps)
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
