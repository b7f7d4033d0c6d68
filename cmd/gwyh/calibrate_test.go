package main

import (
	"bytes"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The comparison: relative differences of scalars, total variation
// distance of histograms, each passing at 10 %.
func TestCalibCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		tv   float64
	}{
		{"same", []float64{0, 2, 2}, []float64{0, 4, 4}, 0},
		{"disjoint", []float64{1}, []float64{0, 1}, 1},
		{"a tenth moved", []float64{0, 9, 1}, []float64{0, 10}, 0.1},
		{"both empty", nil, nil, 0},
		{"one empty", nil, []float64{1}, 1},
	}
	for _, tc := range tests {
		if got := tvDistance(tc.a, tc.b); math.Abs(got-tc.tv) > 1e-12 {
			t.Errorf("%s: TV %v, want %v", tc.name, got, tc.tv)
		}
	}
	if m := histMean([]float64{0, 1, 0, 1}); m != 2 {
		t.Errorf("histMean = %v, want 2", m)
	}
	for _, tc := range []struct{ r, s, want float64 }{{2, 2.2, 0.1}, {0, 0, 0}, {4, 3, -0.25}, {0, 1, math.Inf(1)}} {
		if got := relDiff(tc.r, tc.s); math.Abs(got-tc.want) > 1e-12 && got != tc.want {
			t.Errorf("relDiff(%v, %v) = %v, want %v", tc.r, tc.s, got, tc.want)
		}
	}

	real := calibMetrics{delivery: 1, dup: 5, bytes: 3000, mesh: []int{0, 0, 0, 0, 10, 20, 40, 20, 10}, hops: []int64{0, 30, 50, 20}}
	close := real
	close.dup, close.bytes = 5.4, 2750 // +8 %, −8.3 %
	far := real
	far.dup, far.mesh = 6, []int{0, 0, 0, 0, 0, 0, 0, 50, 50} // +20 %, mean 7.5 vs 6
	for _, tc := range []struct {
		name   string
		sim    calibMetrics
		failed []string
	}{
		{"identical", real, nil},
		{"within 10%", close, nil},
		{"too far", far, []string{"dup/msg/node", "mesh degree mean", "mesh degree hist"}},
	} {
		rows := compareCalib("c", real, tc.sim, real)
		var failed []string
		for _, r := range rows {
			if !r.ok {
				failed = append(failed, r.metric)
			}
		}
		if strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
			t.Errorf("%s: failed %v, want %v", tc.name, failed, tc.failed)
		}
		var out bytes.Buffer
		if ok := writeCalibTable(&out, rows); ok != (len(tc.failed) == 0) {
			t.Errorf("%s: table ok = %v with failures %v", tc.name, ok, tc.failed)
		}
		if n := strings.Count(out.String(), "✘"); n != len(tc.failed) {
			t.Errorf("%s: %d ✘ in\n%s", tc.name, n, out.String())
		}
	}
	// The real side's own spread: even runs against odd ones.
	rows := compareCalib("c", real, real, real)
	withRealNoise(rows, []calibMetrics{real})
	if !math.IsNaN(rows[1].realNoise) {
		t.Errorf("one run: real noise %v, want NaN", rows[1].realNoise)
	}
	other := real
	other.dup, other.mesh = 6, []int{0, 0, 0, 0, 0, 20, 40, 20, 20}
	withRealNoise(rows, []calibMetrics{real, other, real})
	if rows[1].metric != "dup/msg/node" || math.Abs(rows[1].realNoise-0.2) > 1e-12 {
		t.Errorf("%s: real noise %v, want +20%% (5 against 6)", rows[1].metric, rows[1].realNoise)
	}
	if rows[4].metric != "mesh degree hist" || math.Abs(rows[4].realNoise-0.1) > 1e-12 {
		t.Errorf("%s: real noise %v, want TV 0.1", rows[4].metric, rows[4].realNoise)
	}
	m := mergeCalib([]calibMetrics{{dup: 4, mesh: []int{1, 2}}, {dup: 6, mesh: []int{0, 1, 3}}})
	if m.dup != 5 || len(m.mesh) != 3 || m.mesh[0] != 1 || m.mesh[1] != 3 || m.mesh[2] != 3 {
		t.Errorf("merge: dup %v mesh %v, want 5 [1 3 3]", m.dup, m.mesh)
	}
}

// The hop count of a first receipt is one more than that of the node it
// came from, back to the publisher (0); chains that do not reach the
// publisher are left out.
func TestRecorderHopHist(t *testing.T) {
	const nodes = 6
	r := newRecorder(2, nodes)
	if r.hopHist(func(int) int { return 0 }) != nil {
		t.Fatal("hopHist without recorder.from")
	}
	r.from = make([]atomic.Uint32, 2*nodes)
	set := func(seq, node, from int) { r.from[seq*nodes+node].Store(uint32(from) + 1) }
	// Message 0 from node 0: 1 ← 0, 2 ← 1, 3 ← 2, 4 ← 1; node 5 never got it.
	set(0, 1, 0)
	set(0, 2, 1)
	set(0, 3, 2)
	set(0, 4, 1)
	// Message 1 from node 3: 2 ← 3, 0 ← 2; 4 and 5 copy each other (a
	// loop that never reaches the publisher), 1 ← 5 (on that loop).
	set(1, 2, 3)
	set(1, 0, 2)
	set(1, 4, 5)
	set(1, 5, 4)
	set(1, 1, 5)
	got := r.hopHist(func(seq int) int { return []int{0, 3}[seq] })
	want := []int64{0, 2, 3, 1} // hop 1: 1, 2(m1); hop 2: 2, 4, 0(m1); hop 3: 3
	if len(got) != len(want) {
		t.Fatalf("hopHist = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hopHist = %v, want %v", got, want)
		}
	}
}

// Bench's topology is the same dials the simulator gets: each node dials
// degree distinct others, none itself.
func TestBenchDials(t *testing.T) {
	d := benchDials(10, 3, 1)
	if len(d) != 30 {
		t.Fatalf("%d dials, want 30", len(d))
	}
	seen := map[[2]int]bool{}
	for _, x := range d {
		if x[0] == x[1] || seen[x] || x[1] < 0 || x[1] >= 10 {
			t.Fatalf("bad dial %v in %v", x, d)
		}
		seen[x] = true
	}
	if e := benchDials(10, 3, 1); e[7] != d[7] {
		t.Fatal("benchDials is not a function of its seed")
	}
}

// A tiny real cluster: every first receipt gets a hop count (the
// recorder's chain of senders leads back to each publisher), every node
// a mesh degree, and the model of the same cluster runs.
func TestCalibrateTinyCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a real cluster on loopback (about 3 s)")
	}
	f := calibFlags{degree: 3, d: 3, rate: 50, seconds: 0.4, drain: 500 * time.Millisecond, seed: 1,
		link: 100 * time.Microsecond, packetJitter: 200 * time.Microsecond, hbSpread: time.Second, runs: 1}
	const n = 6
	real, err := calibReal(f, n, 64, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	msgs := int64(f.messages())
	var hops, nodes int64
	for _, c := range real.hops {
		hops += c
	}
	for _, c := range real.mesh {
		nodes += int64(c)
	}
	if real.delivery != 1 || hops != msgs*(n-1) || nodes != n || real.hops[0] != 0 || real.bytes <= 64 {
		t.Fatalf("real: delivery %v, hop_hist %v (want %d receipts), mesh %v, bytes %v", real.delivery, real.hops, msgs*(n-1), real.mesh, real.bytes)
	}
	sm, err := calibSim(f, n, 64, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sm.delivery != 1 || len(sm.hops) < 2 || sm.bytes <= 64 {
		t.Fatalf("sim: delivery %v, hop_hist %v, bytes %v", sm.delivery, sm.hops, sm.bytes)
	}
}
