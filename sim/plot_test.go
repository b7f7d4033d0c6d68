package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// TestWritePlot checks that the plot is well-formed XML with one line per
// run in the CDF and delivery panels, score lines for scoring runs with
// attackers, and the cost lines (FP gossip, FP graylist, FN gossip) of
// scoring runs, drawn from the run's samples.
func TestWritePlot(t *testing.T) {
	s := small(t, "spam", 20, 50)
	on := run(t, s, 1)
	s.Scoring = false
	off := run(t, s, 1)
	var buf bytes.Buffer
	if err := WritePlot(&buf, "spam <20>", []PlotRun{{"scoring on", on}, {"scoring off", off}}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	lines := 0
	var points []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
			for _, a := range se.Attr {
				if a.Name.Local == "points" {
					points = append(points, a.Value)
				}
			}
		}
	}
	// CDF 2 + delivery 2 + scores (honest, attackers) of the scoring run
	// + its costs (FP gossip, FP graylist, FN gossip).
	if lines != 9 {
		t.Fatalf("%d polylines, want 9", lines)
	}
	// The FN line has a point per sample.
	if fn := strings.Fields(points[8]); len(fn) != len(on.Scores) {
		t.Errorf("FN line has %d points, want one per sample (%d)", len(fn), len(on.Scores))
	}
	if !strings.Contains(buf.String(), "attackers at/above gossip (FN)") {
		t.Error("no FN legend")
	}
	if !strings.Contains(buf.String(), "spam &lt;20&gt;") {
		t.Error("title not escaped")
	}
}

// TestCostPanel: the cost panel draws, for each scoring run, the FP
// shares at the gossip and graylist thresholds and, with attackers, the
// FN share at the gossip threshold, each from its own ScoreSample field;
// runs without scoring have no lines.
func TestCostPanel(t *testing.T) {
	samples := []ScoreSample{
		{TS: 5, FPGossip: 0.3, FPPublish: 0.25, FPGraylist: 0.1, FNGossip: 0.9, FNPublish: 0.8, FNGraylist: 0.7},
		{TS: 10, FPGossip: 0.2, FPPublish: 0.15, FPGraylist: 0.05, FNGossip: 0.4, FNPublish: 0.3, FNGraylist: 0.2},
	}
	runs := []PlotRun{
		{"attacked", &Result{Scoring: true, Attackers: 3, Scores: samples}},
		{"off", &Result{Scoring: false, Attackers: 3, Scores: samples}},
		{"no attackers", &Result{Scoring: true, Scores: samples}},
	}
	p, ok := costPanel(runs)
	if !ok {
		t.Fatal("no cost panel for scoring runs")
	}
	want := []struct {
		label string
		y     []float64
	}{
		{"attacked: honest below gossip (FP)", []float64{0.3, 0.2}},
		{"attacked: honest below graylist (FP)", []float64{0.1, 0.05}},
		{"attacked: attackers at/above gossip (FN)", []float64{0.9, 0.4}},
		{"no attackers: honest below gossip (FP)", []float64{0.3, 0.2}},
		{"no attackers: honest below graylist (FP)", []float64{0.1, 0.05}},
	}
	if len(p.lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(p.lines), len(want))
	}
	for i, w := range want {
		l := p.lines[i]
		if l.label != w.label || len(l.y) != len(w.y) || l.y[0] != w.y[0] || l.y[1] != w.y[1] || l.x[1] != 10 {
			t.Errorf("line %d: %q x %v y %v, want %q y %v", i, l.label, l.x, l.y, w.label, w.y)
		}
	}
	if p.ymax != 1 || p.xmax != 10 {
		t.Errorf("axes y ..%v x ..%v, want 1 and 10", p.ymax, p.xmax)
	}
	if _, ok := costPanel(runs[1:2]); ok {
		t.Error("cost panel for a run without scoring")
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {0.7, 1}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {230, 500}, {1999, 2000},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// The latency axis fits the data: it starts near the smallest latencies
// rather than at zero, a long tail (the slowest 0.1 %) does not stretch it,
// and it spans at least a decade.
func TestLatencyAxis(t *testing.T) {
	ramp := func(from, to float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = from + (to-from)*float64(i)/float64(n-1)
		}
		return out
	}
	tail := append(ramp(1, 10, 9995), 5000, 6000, 7000, 8000, 9000) // 0.05 % far out
	tests := []struct {
		name   string
		lats   [][]float64
		lo, hi float64
	}{
		{"tail clipped", [][]float64{tail}, 1, 10},
		{"all large", [][]float64{ramp(180, 420, 1000)}, 100, 500},
		{"all equal", [][]float64{ramp(100, 100, 10)}, 50, 100},
		{"two runs", [][]float64{ramp(180, 420, 1000), ramp(3, 40, 1000)}, 2, 500},
		{"narrow", [][]float64{ramp(100, 110, 100)}, 100, 200},
		{"zeros", [][]float64{ramp(0, 0.001, 100)}, 0.005, 0.01},
		{"none", nil, 1, 10},
	}
	for _, tc := range tests {
		lo, hi := latencyAxis(tc.lats)
		if !close(lo, tc.lo) || !close(hi, tc.hi) {
			t.Errorf("%s: axis %v..%v, want %v..%v", tc.name, lo, hi, tc.lo, tc.hi)
		}
	}
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func TestLogTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{1, 10, []float64{1, 2, 5, 10}},
		{100, 500, []float64{100, 200, 500}},
		{2, 500, []float64{2, 5, 10, 20, 50, 100, 200, 500}},
		{0.01, 5000, []float64{0.01, 0.1, 1, 10, 100, 1000, 5000}},
	}
	for _, tc := range tests {
		got := logTicks(tc.lo, tc.hi)
		ok := len(got) == len(tc.want)
		for i := 0; ok && i < len(got); i++ {
			ok = close(got[i], tc.want[i])
		}
		if !ok {
			t.Errorf("logTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}
