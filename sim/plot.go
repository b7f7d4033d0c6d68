package sim

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// PlotRun is one run drawn in a plot, with its legend label.
type PlotRun struct {
	Label  string
	Result *Result
}

// Plot geometry, in SVG user units.
const (
	panelW, panelH = 420, 300
	marginL        = 60
	marginT        = 50
	marginB        = 50
	gapX           = 70
)

var plotColors = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}

// series is one line of a panel; dashed and dotted lines tell the
// lines of one run apart.
type series struct {
	label  string
	color  string
	dashed bool
	dotted bool
	x, y   []float64
}

// panel is one chart: axes ranges, labels and lines. With xlog the x
// axis is logarithmic (xmin > 0), ticked at xticks.
type panel struct {
	title, xlabel, ylabel  string
	xmin, xmax, ymin, ymax float64
	xlog                   bool
	xticks                 []float64
	lines                  []series
}

// WritePlot writes an SVG of runs (e.g. the same scenario with scoring on
// and off): the latency CDF, the delivery ratio over time and, when a run
// has attackers and scoring, the mean scores by node class over time,
// and, when a run has scoring, what scoring costs over time (false
// positives and negatives). It uses no plotting library; the SVG is
// self-contained.
func WritePlot(w io.Writer, title string, runs []PlotRun) error {
	panels := []panel{cdfPanel(runs), deliveryPanel(runs)}
	if p, ok := scorePanel(runs); ok {
		panels = append(panels, p)
	}
	if p, ok := costPanel(runs); ok {
		panels = append(panels, p)
	}
	width := marginL + len(panels)*(panelW+gapX)
	height := marginT + panelH + marginB + 16*maxLines(panels) + 10
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, html.EscapeString(title))
	for i, p := range panels {
		p.draw(bw, marginL+i*(panelW+gapX), marginT)
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// cdfPanel is the latency CDF of each run, on the axis latencyAxis picks.
func cdfPanel(runs []PlotRun) panel {
	p := panel{title: "latency CDF (measured messages)", xlabel: "latency, virtual ms (log scale)", ylabel: "fraction of deliveries", ymax: 1, xlog: true}
	var lats [][]float64
	for i, r := range runs {
		lat := r.Result.LatencyCDF()
		if len(lat) == 0 {
			continue
		}
		lats = append(lats, lat)
		s := series{label: r.Label, color: plotColors[i%len(plotColors)]}
		const pts = 200
		for k := 0; k <= pts; k++ {
			j := min(len(lat)-1, k*(len(lat)-1)/pts)
			s.x = append(s.x, lat[j])
			s.y = append(s.y, float64(j+1)/float64(len(lat)))
		}
		p.lines = append(p.lines, s)
	}
	p.xmin, p.xmax = latencyAxis(lats)
	p.xticks = logTicks(p.xmin, p.xmax)
	return p
}

// latencyAxis returns the range of the latency axis for the sorted
// latencies (ms) of each run: from the smallest 0.1th percentile to the
// largest 99.9th, rounded out to 1, 2 or 5 times a power of ten, hi at
// least twice lo. On a log scale, this fits runs whose latencies
// are all large (none crowd a corner near zero) and runs with a long tail
// (the last 0.1 % does not stretch the axis; those points are drawn at
// its edge).
func latencyAxis(lats [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for _, l := range lats {
		if len(l) == 0 {
			continue
		}
		lo = math.Min(lo, l[int(0.001*float64(len(l)-1))])
		hi = math.Max(hi, l[int(math.Ceil(0.999*float64(len(l)-1)))])
	}
	const floor = 0.01 // ms: a latency of zero has no place on a log axis
	if hi <= 0 {
		return 1, 10
	}
	lo = niceFloor(math.Max(lo, floor))
	hi = niceCeil(math.Max(hi, floor))
	if hi < 2*lo {
		lo = niceFloor(hi / 2)
	}
	return lo, hi
}

// niceFloor rounds v > 0 down to 1, 2 or 5 times a power of ten.
func niceFloor(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if v >= m*e*(1-1e-9) {
			return m * e
		}
	}
	return e
}

// logTicks returns the ticks of a log axis from lo to hi: 1, 2 and 5
// times each power of ten when they are at most 10, else powers of ten
// only, plus both ends.
func logTicks(lo, hi float64) []float64 {
	var all, decades []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				all = append(all, v)
				if m == 1 {
					decades = append(decades, v)
				}
			}
		}
	}
	if len(all) <= 10 {
		return all
	}
	if decades[0] > lo*(1+1e-9) {
		decades = append([]float64{lo}, decades...)
	}
	if decades[len(decades)-1] < hi*(1-1e-9) {
		decades = append(decades, hi)
	}
	return decades
}

// deliveryPanel is each run's delivery ratio per second of publish time.
func deliveryPanel(runs []PlotRun) panel {
	p := panel{title: "delivery over time", xlabel: "publish time, virtual s", ylabel: "delivery ratio", ymin: 1, ymax: 1}
	for i, r := range runs {
		s := series{label: r.Label, color: plotColors[i%len(plotColors)]}
		for _, b := range r.Result.DeliveryOverTime {
			s.x = append(s.x, b.TS)
			s.y = append(s.y, b.Ratio)
			p.xmax = math.Max(p.xmax, b.TS+1)
			p.ymin = math.Min(p.ymin, b.Ratio)
		}
		p.lines = append(p.lines, s)
	}
	p.ymin = math.Max(0, math.Floor(p.ymin*10-0.5)/10)
	if p.ymin >= 1 {
		p.ymin = 0.9
	}
	p.xmax = niceCeil(p.xmax)
	return p
}

// scorePanel is the mean score honest nodes give honest and attacker peers
// over time, for runs with scoring and attackers.
func scorePanel(runs []PlotRun) (panel, bool) {
	p := panel{title: "mean score by class (scoring runs)", xlabel: "virtual s", ylabel: "score"}
	for i, r := range runs {
		if !r.Result.Scoring || r.Result.Attackers == 0 {
			continue
		}
		c := plotColors[i%len(plotColors)]
		hon := series{label: r.Label + ": honest peers", color: c}
		att := series{label: r.Label + ": attackers", color: c, dashed: true}
		for _, s := range r.Result.Scores {
			hon.x, hon.y = append(hon.x, s.TS), append(hon.y, s.Honest)
			att.x, att.y = append(att.x, s.TS), append(att.y, s.Attacker)
			p.xmax = math.Max(p.xmax, s.TS)
			p.ymin = math.Min(p.ymin, math.Min(s.Honest, s.Attacker))
			p.ymax = math.Max(p.ymax, math.Max(s.Honest, s.Attacker))
		}
		p.lines = append(p.lines, hon, att)
	}
	p.ymin, p.ymax = -niceCeil(-p.ymin), niceCeil(p.ymax)
	p.xmax = niceCeil(p.xmax)
	return p, len(p.lines) > 0
}

// costPanel is what scoring costs over time, for runs with scoring (a run
// without has no thresholds to be wrong about): the share of (honest
// node, connected honest peer) pairs below the gossip and graylist
// thresholds, and, with attackers, the share of (honest node, connected
// attacker) pairs at or above the gossip threshold (ScoreSample FP*, FN*).
func costPanel(runs []PlotRun) (panel, bool) {
	p := panel{title: "what scoring costs (scoring runs)", xlabel: "virtual s", ylabel: "share of (honest node, peer) pairs", ymax: 1}
	for i, r := range runs {
		if !r.Result.Scoring {
			continue
		}
		c := plotColors[i%len(plotColors)]
		fpG := series{label: r.Label + ": honest below gossip (FP)", color: c}
		fpL := series{label: r.Label + ": honest below graylist (FP)", color: c, dotted: true}
		fnG := series{label: r.Label + ": attackers at/above gossip (FN)", color: c, dashed: true}
		for _, s := range r.Result.Scores {
			fpG.x, fpG.y = append(fpG.x, s.TS), append(fpG.y, s.FPGossip)
			fpL.x, fpL.y = append(fpL.x, s.TS), append(fpL.y, s.FPGraylist)
			fnG.x, fnG.y = append(fnG.x, s.TS), append(fnG.y, s.FNGossip)
			p.xmax = math.Max(p.xmax, s.TS)
		}
		p.lines = append(p.lines, fpG, fpL)
		if r.Result.Attackers > 0 {
			p.lines = append(p.lines, fnG)
		}
	}
	p.xmax = niceCeil(p.xmax)
	return p, len(p.lines) > 0
}

// maxLines returns the most lines in one panel (legend rows).
func maxLines(ps []panel) int {
	n := 0
	for _, p := range ps {
		n = max(n, len(p.lines))
	}
	return n
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (0 stays 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

// draw writes the panel with its top-left corner at (x0, y0).
func (p *panel) draw(w io.Writer, x0, y0 int) {
	if p.xmax <= p.xmin {
		p.xmax = p.xmin + 1
	}
	if p.ymax <= p.ymin {
		p.ymax = p.ymin + 1
	}
	sx := func(v float64) float64 {
		v = math.Min(math.Max(v, p.xmin), p.xmax)
		if p.xlog {
			return float64(x0) + math.Log(v/p.xmin)/math.Log(p.xmax/p.xmin)*panelW
		}
		return float64(x0) + (v-p.xmin)/(p.xmax-p.xmin)*panelW
	}
	sy := func(v float64) float64 { return float64(y0+panelH) - (v-p.ymin)/(p.ymax-p.ymin)*panelH }
	xticks := p.xticks
	if !p.xlog {
		for k := 0; k <= 5; k++ {
			xticks = append(xticks, p.xmin+float64(k)*(p.xmax-p.xmin)/5)
		}
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, y0-8, html.EscapeString(p.title))
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", x0, y0, panelW, panelH)
	for _, xv := range xticks {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", sx(xv), y0, sx(xv), y0+panelH)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", sx(xv), y0+panelH+16, tick(xv))
	}
	for k := 0; k <= 5; k++ {
		yv := p.ymin + float64(k)*(p.ymax-p.ymin)/5
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`+"\n", x0, sy(yv), x0+panelW, sy(yv))
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, sy(yv)+4, tick(yv))
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+panelW/2, y0+panelH+34, html.EscapeString(p.xlabel))
	fmt.Fprintf(w, `<text transform="translate(%d,%d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0-42, y0+panelH/2, html.EscapeString(p.ylabel))
	for i, s := range p.lines {
		dash := ""
		switch {
		case s.dashed:
			dash = ` stroke-dasharray="6 4"`
		case s.dotted:
			dash = ` stroke-dasharray="2 3"`
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="`, s.color, dash)
		for k := range s.x {
			fmt.Fprintf(w, "%.1f,%.1f ", sx(s.x[k]), sy(math.Max(s.y[k], p.ymin)))
		}
		fmt.Fprintln(w, `"/>`)
		ly := y0 + panelH + marginB + 16*i
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", x0, ly-4, x0+20, ly-4, s.color, dash)
		fmt.Fprintf(w, `<text x="%d" y="%d">%s</text>`+"\n", x0+25, ly, html.EscapeString(s.label))
	}
}

// tick formats an axis value compactly.
func tick(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.3g", v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
