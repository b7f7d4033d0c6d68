package transport

import "testing"

// TestReadBatchGrowsAndShrinks feeds readBatch sequences of read sizes and
// checks how many buffers it holds after them: it doubles on a full read up
// to its count, halves after shrinkReadBatch small reads in a row, never
// below firstReadBatch, and holds buffers for exactly its live part.
func TestReadBatchGrowsAndShrinks(t *testing.T) {
	type step struct{ n, times int }
	tests := []struct {
		name  string
		count int
		steps []step
		live  int
	}{
		{"starts small", 64, nil, firstReadBatch},
		{"count below the start", 4, []step{{4, 3}, {1, 2 * shrinkReadBatch}}, 4},
		{"full reads double", 64, []step{{8, 1}, {16, 1}}, 32},
		{"up to count", 64, []step{{8, 1}, {16, 1}, {32, 1}, {64, 5}}, 64},
		{"small reads halve", 64, []step{{8, 1}, {16, 1}, {32, 1}, {64, 1}, {16, shrinkReadBatch}}, 32},
		{"one short of halving", 64, []step{{8, 1}, {16, 1}, {32, 1}, {64, 1}, {16, shrinkReadBatch - 1}}, 64},
		{"a bigger read restarts the count", 64, []step{{8, 1}, {16, 1}, {32, 1}, {64, 1},
			{16, shrinkReadBatch - 1}, {17, 1}, {16, shrinkReadBatch - 1}}, 64},
		{"down to the start, not below", 64, []step{{8, 1}, {16, 1}, {32, 1}, {64, 1}, {1, 10 * shrinkReadBatch}}, firstReadBatch},
		{"grows again after shrinking", 64, []step{{8, 1}, {16, 1}, {1, shrinkReadBatch}, {8, 1}}, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newReadBatch(tt.count, 32)
			for _, s := range tt.steps {
				for range s.times {
					if s.n > len(b.bufs()) {
						t.Fatalf("a read of %d with %d buffers", s.n, len(b.bufs()))
					}
					b.read(s.n)
				}
			}
			if b.live != tt.live || len(b.bufs()) != tt.live {
				t.Fatalf("live %d, bufs %d; want %d", b.live, len(b.bufs()), tt.live)
			}
			for i, p := range b.pkts {
				if (p.Buf != nil) != (i < b.live) {
					t.Fatalf("buffer %d held %v with %d live", i, p.Buf != nil, b.live)
				}
			}
		})
	}
}

// TestWriterTrimsBufs checks trimBufs: after trimWriteBufs batches it
// keeps twice the most they used (at least minWriteBufs) and frees the rest.
func TestWriterTrimsBufs(t *testing.T) {
	tests := []struct {
		name    string
		held    int
		batches []int // sizes, trimWriteBufs of them (the last repeated)
		want    int
	}{
		{"quiet after a burst", batchSize, []int{1}, minWriteBufs},
		{"busy keeps twice its most", batchSize, []int{3, 20, 5}, 40},
		{"full batches keep all", batchSize, []int{batchSize}, batchSize},
		{"nothing to free", 4, []int{1}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writer{}
			for i := range tt.held {
				w.bufs[i] = make([]byte, 0, 16)
			}
			for i := range trimWriteBufs {
				w.trimBufs(tt.batches[min(i, len(tt.batches)-1)])
				if i < trimWriteBufs-1 && allocated(w) != tt.held {
					t.Fatalf("trimmed after %d batches", i+1)
				}
			}
			if n := allocated(w); n != tt.want {
				t.Fatalf("held %d, want %d", n, tt.want)
			}
			for i, b := range w.bufs {
				if (b != nil) != (i < tt.want) {
					t.Fatalf("buffer %d allocated %v, want the first %d", i, b != nil, tt.want)
				}
			}
		})
	}
}

// allocated counts the writer's allocated buffers.
func allocated(w *writer) int {
	n := 0
	for _, b := range w.bufs {
		if b != nil {
			n++
		}
	}
	return n
}
