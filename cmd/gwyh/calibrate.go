package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/sim"
)

// calibTolerance is the largest difference between the simulator and the
// real cluster a metric may show (issue 16): 10 %.
const calibTolerance = 0.10

// calibFlags are the flags of `gwyh sim calibrate`.
type calibFlags struct {
	nodes, sizes       []int
	degree, d, rate    int
	seconds            float64
	drain              time.Duration
	seed               uint64
	link, packetJitter time.Duration
	quiet              bool
	hbSpread           time.Duration
	runs               int
}

// calibMetrics are what calibration compares, measured the same way on
// both sides over the same window: from the first measured publish to
// the drain after the last.
type calibMetrics struct {
	delivery float64
	dup      float64 // router duplicates / (messages × nodes)
	bytes    float64 // transport bytes out / (messages × nodes)
	mesh     []int   // nodes per mesh degree at the end
	hops     []int64 // first receipts per hop count
	latP50ms float64 // shown, not compared: wall vs virtual time
}

func parseCalibFlags(args []string, stderr io.Writer) (calibFlags, int) {
	var f calibFlags
	fs := flag.NewFlagSet("gwyh sim calibrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	nodes := fs.String("nodes", "32,100", "comma-separated cluster sizes")
	sizes := fs.String("sizes", "256,4096", "comma-separated message sizes in bytes (≥ 32)")
	fs.IntVar(&f.degree, "degree", 8, "each node dials this many random others")
	fs.IntVar(&f.d, "d", 6, "GossipSub D")
	fs.IntVar(&f.rate, "rate", 200, "messages per second")
	fs.Float64Var(&f.seconds, "seconds", 10, "seconds of traffic per configuration")
	fs.DurationVar(&f.drain, "drain", 5*time.Second, "measurement continues this long after the last publish (the simulator's Traffic.Drain; the simulator counts only deliveries within it)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of identities, topology and simulation")
	fs.DurationVar(&f.link, "link", 100*time.Microsecond, "the simulator's one-way link delay (loopback model)")
	fs.DurationVar(&f.packetJitter, "packet-jitter", 200*time.Microsecond, "the simulator's per-packet extra delay, uniform in [0, this)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	fs.IntVar(&f.runs, "runs", 3, "runs per configuration and side (seeds -seed, -seed+1, ...): histograms are summed, scalars averaged")
	fs.DurationVar(&f.hbSpread, "heartbeat-spread", time.Second, "the simulator's spread of the routers' heartbeat phases (Topology.HeartbeatSpread)")
	if code := parseFlags(fs, args, `usage: gwyh sim calibrate [flags]

Runs each configuration (every -nodes × -sizes, degree 8, D 6, -rate
msgs/s for -seconds, scoring on, StrictNoSign) twice: as a real cluster
on 127.0.0.1 over encrypted UDP in this process (as 'gwyh bench' does),
then in the simulator with a loopback network model and the same
topology, parameters and traffic. Prints a markdown table of delivery,
duplicates and bytes per message per node, mean mesh degree and hop
count, and the distance between the mesh degree and hop count
histograms; ✔ when the simulator is within 10 % of the real cluster
(sim/README.md, "Calibration against a real cluster"). Each real run is
modelled by four simulator runs; two noise columns say how far the
simulator lies from itself on other topologies and the real cluster from
itself (even runs against odd ones).

flags:
`, stderr); code >= 0 {
		return f, code
	}
	var err error
	if f.nodes, err = intList(*nodes); err == nil {
		f.sizes, err = intList(*sizes)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "gwyh sim calibrate: %v\n", err)
		return f, 2
	case fs.NArg() > 0 || f.degree < 1 || f.d < 1 || f.rate < 1 || f.runs < 1 || f.seconds <= 0 || f.drain <= 0:
		fmt.Fprintln(stderr, "gwyh sim calibrate: want -degree, -d, -rate, -runs ≥ 1, -seconds > 0, -drain > 0 and no arguments")
		return f, 2
	}
	for _, n := range f.nodes {
		if n < 2 {
			fmt.Fprintln(stderr, "gwyh sim calibrate: -nodes: want at least 2")
			return f, 2
		}
	}
	for _, s := range f.sizes {
		if s < 32 {
			fmt.Fprintln(stderr, "gwyh sim calibrate: -sizes: want at least 32 bytes")
			return f, 2
		}
	}
	return f, -1
}

// intList parses "1,2,3".
func intList(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// runCalibrate is `gwyh sim calibrate`.
func runCalibrate(args []string, stdout, stderr io.Writer) int {
	f, code := parseCalibFlags(args, stderr)
	if code >= 0 {
		return code
	}
	progress := stderr
	if f.quiet {
		progress = io.Discard
	}
	start := time.Now()
	all := true
	writeCalibHeader(stdout)
	for _, n := range f.nodes {
		for _, size := range f.sizes {
			label := fmt.Sprintf("N=%d %d B", n, size)
			var real, simm []calibMetrics
			for r := range f.runs {
				g := f
				g.seed = f.seed + uint64(r)
				fmt.Fprintf(progress, "calibrate %s seed %d: real cluster\n", label, g.seed)
				m, err := calibReal(g, n, size, progress)
				if err != nil {
					fmt.Fprintf(stderr, "gwyh sim calibrate: %s seed %d: %v\n", label, g.seed, err)
					return 1
				}
				real = append(real, m)
				fmt.Fprintf(progress, "calibrate %s seed %d: simulator ×%d\n", label, g.seed, calibSimPool)
				for k := range calibSimPool {
					if m, err = calibSim(g, n, size, k); err != nil {
						fmt.Fprintf(stderr, "gwyh sim calibrate: %s seed %d: %v\n", label, g.seed, err)
						return 1
					}
					simm = append(simm, m)
				}
			}
			// The simulator again on as many other topologies as the real
			// cluster ran: how far a sample as big as the real one lies
			// from the pool when the model is exact, the noise floor of
			// the comparison.
			var again []calibMetrics
			for r := range f.runs {
				g := f
				g.seed = f.seed + uint64(f.runs+r)
				m, err := calibSim(g, n, size, 0)
				if err != nil {
					fmt.Fprintf(stderr, "gwyh sim calibrate: %s seed %d: %v\n", label, g.seed, err)
					return 1
				}
				again = append(again, m)
			}
			// Each configuration's rows as soon as they are measured.
			rows := compareCalib(label, mergeCalib(real), mergeCalib(simm), mergeCalib(again))
			withRealNoise(rows, real)
			if !writeCalibRows(stdout, rows) {
				all = false
			}
		}
	}
	fmt.Fprintf(stdout, "\n(%.0f s wall)\n", time.Since(start).Seconds())
	if !all {
		return 1
	}
	return 0
}

// calibMessages is the number of messages of a configuration.
func (f *calibFlags) messages() int { return max(1, int(float64(f.rate)*f.seconds)) }

// calibReal runs the real cluster: n nodes on 127.0.0.1, each dialing
// degree random others, every node publishing in turn at the rate; it
// measures from the first publish to the drain after the last.
func calibReal(f calibFlags, n, size int, progress io.Writer) (calibMetrics, error) {
	hb := time.Second
	msgs := f.messages()
	spec := clusterSpec{
		nodes: n, degree: min(f.degree, n-1), d: f.d, heartbeat: hb, sign: router.StrictNoSign,
		seed: f.seed, topic: sim.Topic, msgs: msgs, wait: true, scoring: true, hops: true,
	}
	// Generous: 100 nodes' handshakes take seconds on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := startCluster(ctx, spec)
	if err != nil {
		return calibMetrics{}, err
	}
	defer c.close()
	fmt.Fprintf(progress, "calibrate: %d nodes started and connected in %v\n", n, time.Since(t0))
	if err := c.waitMeshes(ctx, min(f.d, spec.degree, gossipParams(f.d, hb).Dlo)); err != nil {
		return calibMetrics{}, err
	}
	settle := time.NewTimer(2 * hb)
	<-settle.C
	bf := benchFlags{scenario: "latency", n: n, degree: spec.degree, d: f.d, publishers: n,
		size: size, rate: f.rate, seconds: f.seconds, timeout: 60 * time.Second}
	b := &benchRun{f: bf, c: c, msgs: msgs, stderr: progress, base: c.totals()}
	t0 = time.Now()
	b.latency(t0)
	b.waitComplete(t0, 30*time.Second)
	last := t0.Add(time.Duration(float64(msgs-1) / float64(f.rate) * float64(time.Second)))
	if d := time.Until(last.Add(f.drain)); d > 0 {
		drain := time.NewTimer(d)
		<-drain.C
	}
	t := c.totals()
	per := float64(msgs) * float64(n)
	p50, _, _, _ := c.rec.percentiles()
	return calibMetrics{
		delivery: float64(c.rec.total.Load()) / (float64(msgs) * float64(n-1)),
		dup:      float64(t.duplicates-b.base.duplicates) / per,
		bytes:    float64(t.bytesOut-b.base.bytesOut) / per,
		mesh:     c.meshHist(),
		hops:     c.rec.hopHist(b.publisher),
		latP50ms: float64(p50.Microseconds()) / 1000,
	}, nil
}

// mergeCalib combines the runs of one side: scalars averaged,
// histograms summed.
func mergeCalib(ms []calibMetrics) calibMetrics {
	var out calibMetrics
	for _, m := range ms {
		out.delivery += m.delivery / float64(len(ms))
		out.dup += m.dup / float64(len(ms))
		out.bytes += m.bytes / float64(len(ms))
		out.latP50ms += m.latP50ms / float64(len(ms))
		out.mesh = addHist(out.mesh, m.mesh)
		out.hops = addHist(out.hops, m.hops)
	}
	return out
}

// addHist returns a + b, bin by bin (a may be reused).
func addHist[T int | int64](a, b []T) []T {
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for i, v := range b {
		a[i] += v
	}
	return a
}

// calibScenario is the simulator's model of calibReal's cluster.
func calibScenario(f calibFlags, n, size int) sim.Scenario {
	deg := min(f.degree, n-1)
	return sim.Scenario{
		Name:    "calibrate",
		Summary: "a real loopback cluster's model (gwyh sim calibrate)",
		Nodes:   n,
		Net:     loopbackNetwork(f.link, f.packetJitter),
		// The bench's topology: the very dials it makes, no seed, and a
		// peer manager whose low water mark the dials already meet.
		Topology: sim.Topology{PeersLow: deg, Dials: benchDials(n, deg, f.seed), Seedless: true, HeartbeatSpread: f.hbSpread},
		Traffic: sim.Traffic{
			Messages: f.messages(), Size: size, Rate: float64(f.rate),
			Start: 3 * time.Second, Drain: f.drain,
		},
		Scoring: true,
		Params:  gossipParams(f.d, time.Second),
	}
}

// loopbackNetwork is the simulator's model of 127.0.0.1 between nodes of
// one process: one-way delay link plus a per-packet jitter (the event
// loops and the scheduler, not the kernel, set it), no loss, no bandwidth
// limit, and the transport's cost per payload: its data header and AEAD
// tag (16 + 16 bytes) and the payload frame header (3), in packets of
// node's packing MTU (Config.MTU − 64). Bytes are counted as the
// transport's BytesOut counts them: UDP payloads, no IP or UDP header.
func loopbackNetwork(link, packetJitter time.Duration) sim.Network {
	return sim.Network{
		Latency:  sim.Latency{Base: link, PacketJitter: packetJitter},
		Overhead: 16 + 16 + 3,
		MTU:      1400 - 64,
		Control: sim.Control{
			ReportInterval: 50 * time.Millisecond, ReportBytes: 16 + 16 + 29,
			PingInterval: time.Second, PingBytes: 16 + 16 + 9,
		},
	}
}

// calibSimPool is how many simulator runs, each on its own seed, model
// each real run: the real cluster's topology (f.seed's dials) with other
// timings. A 100-node cluster gives 100 mesh degrees per run, and two
// samples of 100 lie about 14 % apart in total variation by chance alone;
// against a pool four times the real sample the chance part is the real
// side's alone.
const calibSimPool = 4

// calibSim runs the model of the real cluster of f.seed, the k-th time
// (k > 0: another simulation seed).
func calibSim(f calibFlags, n, size, k int) (calibMetrics, error) {
	res, err := sim.Run(calibScenario(f, n, size), f.seed+uint64(k)*1_000_003, sim.RunOptions{})
	if err != nil {
		return calibMetrics{}, err
	}
	return calibMetrics{
		delivery: res.DeliveryRatio,
		dup:      res.DupPerMsgPerNode,
		bytes:    res.WindowBytesPerMsgPerNode,
		mesh:     res.MeshDegreeHist,
		hops:     res.HopHist,
		latP50ms: res.LatP50Ms,
	}, nil
}

// calibRow is one line of the calibration table.
type calibRow struct {
	config, metric string
	real, sim      string
	diff           float64 // relative difference, or a histogram distance
	noise          float64 // the same between the pool and a real-sized sample of the simulator
	ok             bool
	realNoise      float64 // the same between the real runs' halves (see withRealNoise)
}

// withRealNoise fills the rows' realNoise from the real runs: the same
// measure between the even and the odd runs (NaN with one run). Two real
// runs of one topology differ, as the machine's timing decides which
// handshakes and GRAFTs race; a difference from the simulator smaller
// than this is within what the real cluster itself varies.
func withRealNoise(rows []calibRow, real []calibMetrics) {
	if len(real) < 2 {
		for i := range rows {
			rows[i].realNoise = math.NaN()
		}
		return
	}
	var even, odd []calibMetrics
	for i, m := range real {
		if i%2 == 0 {
			even = append(even, m)
		} else {
			odd = append(odd, m)
		}
	}
	e, o := mergeCalib(even), mergeCalib(odd)
	for i, r := range compareCalib("", e, o, o) {
		rows[i].realNoise = r.diff
	}
}

// compareCalib compares one configuration's two measurements: scalars by
// relative difference (sim − real) / real, histograms by their means
// (relative difference) and by total variation distance (the share of
// the mass that must move to turn one into the other; 0 identical, 1
// disjoint). Each passes at calibTolerance. sim pools calibSimPool
// simulator runs per real run; again, the simulator on as many other
// topologies as real ran, gives each row's noise floor: the same measure
// between sim and again. Latency is shown, never compared: the real cluster's is wall
// time on a shared machine.
func compareCalib(config string, real, sim, again calibMetrics) []calibRow {
	scalar := func(metric string, r, s, a float64, format string) calibRow {
		d := relDiff(r, s)
		return calibRow{config, metric, fmt.Sprintf(format, r), fmt.Sprintf(format, s), d, relDiff(s, a), math.Abs(d) <= calibTolerance, math.NaN()}
	}
	hist := func(metric string, r, s, a []float64) calibRow {
		d := tvDistance(r, s)
		return calibRow{config, metric, histString(r), histString(s), d, tvDistance(s, a), d <= calibTolerance, math.NaN()}
	}
	meshR, meshS, meshA := toFloat(real.mesh), toFloat(sim.mesh), toFloat(again.mesh)
	hopR, hopS, hopA := toFloat(real.hops), toFloat(sim.hops), toFloat(again.hops)
	return []calibRow{
		scalar("delivery", real.delivery, sim.delivery, again.delivery, "%.4f"),
		scalar("dup/msg/node", real.dup, sim.dup, again.dup, "%.3f"),
		scalar("bytes/msg/node", real.bytes, sim.bytes, again.bytes, "%.0f"),
		scalar("mesh degree mean", histMean(meshR), histMean(meshS), histMean(meshA), "%.2f"),
		hist("mesh degree hist", meshR, meshS, meshA),
		scalar("hops mean", histMean(hopR), histMean(hopS), histMean(hopA), "%.3f"),
		hist("hops hist", hopR, hopS, hopA),
		{config: config, metric: "lat p50 ms (not compared)", real: fmt.Sprintf("%.2f", real.latP50ms),
			sim: fmt.Sprintf("%.2f", sim.latP50ms), diff: math.NaN(), noise: math.NaN(), ok: true, realNoise: math.NaN()},
	}
}

// relDiff returns (s − r) / r; 0 when both are 0, +Inf when only r is.
func relDiff(r, s float64) float64 {
	switch {
	case r == s:
		return 0
	case r == 0:
		return math.Inf(1)
	}
	return (s - r) / r
}

func toFloat[T int | int64](h []T) []float64 {
	out := make([]float64, len(h))
	for i, v := range h {
		out[i] = float64(v)
	}
	return out
}

// histMean returns the mean of the value index i weighted by h[i].
func histMean(h []float64) float64 {
	var sum, n float64
	for i, v := range h {
		sum += float64(i) * v
		n += v
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// tvDistance returns the total variation distance between the two
// histograms normalized to distributions: half the sum of the absolute
// differences of their shares, in [0, 1]; 1 when only one is empty.
func tvDistance(a, b []float64) float64 {
	var sa, sb float64
	for _, v := range a {
		sa += v
	}
	for _, v := range b {
		sb += v
	}
	switch {
	case sa == 0 && sb == 0:
		return 0
	case sa == 0 || sb == 0:
		return 1
	}
	var d float64
	for i := range max(len(a), len(b)) {
		var x, y float64
		if i < len(a) {
			x = a[i] / sa
		}
		if i < len(b) {
			y = b[i] / sb
		}
		d += math.Abs(x - y)
	}
	return d / 2
}

// histString writes a histogram as "value:share%" for its non-empty bins.
func histString(h []float64) string {
	var sum float64
	for _, v := range h {
		sum += v
	}
	var parts []string
	for i, v := range h {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%d:%.0f%%", i, 100*v/sum))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " ")
}

// writeCalibTable prints the rows as a markdown table and reports
// whether every compared metric is within calibTolerance.
func writeCalibTable(w io.Writer, rows []calibRow) bool {
	writeCalibHeader(w)
	return writeCalibRows(w, rows)
}

// writeCalibHeader prints the calibration table's header.
func writeCalibHeader(w io.Writer) {
	fmt.Fprintln(w, "| config | metric | real | sim | difference | within 10% | sim vs sim (noise) | real vs real (noise) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
}

// writeCalibRows prints rows of the calibration table and reports
// whether every compared metric is within calibTolerance.
func writeCalibRows(w io.Writer, rows []calibRow) bool {
	all := true
	for _, r := range rows {
		format := func(v float64) string {
			switch {
			case math.IsNaN(v):
				return ""
			case strings.HasSuffix(r.metric, "hist"):
				return fmt.Sprintf("TV %.1f%%", 100*v)
			}
			return fmt.Sprintf("%+.1f%%", 100*v)
		}
		mark := "✔"
		switch {
		case math.IsNaN(r.diff):
			mark = ""
		case !r.ok:
			mark, all = "✘", false
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.config, r.metric, r.real, r.sim, format(r.diff), mark, format(r.noise), format(r.realNoise))
	}
	return all
}
