package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/sim"
)

func init() {
	commands["sim"] = command{"run a deterministic network simulation scenario (-list names them)", runSim}
}

// simFlags are the sim subcommand's flags.
type simFlags struct {
	list     bool
	scenario string
	nodes    int
	seed     uint64
	json     bool
	plot     string
	scoring  string
	table    bool
	preset   string
	parallel int
	workers  int
	messages int
	sign     string
	trace    string
	quiet    bool
	strategy string
	near     bool
	zones    bool
	warm     float64
	size     int
	proto    protoFlags
	// membership is -membership: auto, swim or directory.
	membership sim.MembershipMode
	// strategies are the parsed -strategy: none for the scenario's own,
	// one, or several to compare side by side.
	strategies []mesh.Strategy
	// config is -config's file; printConfig is -print-config.
	config      string
	printConfig bool
	// cpuprofile and memprofile are -cpuprofile and -memprofile's files.
	cpuprofile, memprofile string
	// set holds the flags given on the command line: with -config only
	// those change the file's scenario.
	set map[string]bool
}

// parseSimFlags parses the sim subcommand's arguments. The int is -1 to go
// on, else the exit status (0 after -h, 2 for a bad flag, reported on
// stderr in one line).
func parseSimFlags(args []string, stderr io.Writer) (simFlags, int) {
	var f simFlags
	fs := flag.NewFlagSet("gwyh sim", flag.ContinueOnError)
	fs.BoolVar(&f.list, "list", false, "list the scenarios and exit")
	fs.StringVar(&f.scenario, "scenario", "baseline", "scenario `name` (see -list)")
	fs.IntVar(&f.nodes, "nodes", sim.DefaultNodes, "honest nodes (attackers come on top, in the scenario's ratio)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed: the same seed gives the same result")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a summary (-strategy all: one line per run)")
	fs.StringVar(&f.plot, "plot", "", "write an SVG plot (latency CDF, delivery over time) to `FILE.svg`; runs scoring on and off where the scenario compares them")
	fs.StringVar(&f.scoring, "scoring", "default", "peer scoring: default (the scenario's), on or off")
	fs.BoolVar(&f.table, "table", false, "run every scenario with scoring on and off and print the README's markdown results table")
	fs.StringVar(&f.preset, "preset", "", "-table: run a preset's scenarios instead: paper (the GossipSub v1.1 evaluation's attacks, sim.PaperScenarios) prints its own table")
	fs.IntVar(&f.parallel, "parallel", runtime.GOMAXPROCS(0), "-table and -strategy all: runs at once (each deterministic, on the cores the others leave: all of them at -parallel 1)")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "goroutines that share a single run's nodes (the result does not depend on it; -table and -strategy give each run the cores -parallel leaves)")
	fs.IntVar(&f.messages, "messages", 0, "measured messages (0: the scenario's)")
	fs.StringVar(&f.sign, "sign", "none", "signature policy: strict (sign and verify every message; slow) or none")
	fs.StringVar(&f.trace, "trace", "", "write one line per event to `FILE` (small runs only)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	fs.StringVar(&f.strategy, "strategy", "", "mesh strategy of the honest nodes: uniform, preferlocal, hubandspoke or preferfast (default: the scenario's, uniform); a comma-separated `list` or all runs the scenario once per strategy (same seed, -parallel at once) and prints one table")
	fs.BoolVar(&f.near, "attackers-near", false, "attackers sit in their victims' zone and answer fastest (0.5 ms links)")
	fs.Float64Var(&f.warm, "warm", 0, "background messages per second from 1 s until the measured traffic starts, so that scores (P3 mesh deliveries) see traffic before the measurement; 0: the scenario's own")
	fs.IntVar(&f.size, "size", 0, "message data bytes, ≥ 32 (0: the scenario's)")
	f.proto.register(fs)
	fs.TextVar(&f.membership, "membership", sim.MembershipAuto, "how honest nodes learn of each other: swim (every node runs SWIM membership with a full view, as deployed), directory (a shared directory of live nodes feeds each peer manager a bounded random sample: for runs too large for full views) or auto (swim up to 2,000 honest nodes, directory above)")
	fs.BoolVar(&f.zones, "zones", false, "run the scenario over five cloud regions (the zones scenario's latencies) instead of its own latency model")
	fs.StringVar(&f.config, "config", "", "run the scenario the JSON `FILE` describes instead of -scenario (schema: sim/README.md, \"Your own parameters\"); flags given too apply on top")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to `FILE`")
	fs.StringVar(&f.memprofile, "memprofile", "", "write a heap profile to `FILE`, taken at the tenth of the run's virtual time with the most live heap (each tenth collects garbage first: slower)")
	fs.BoolVar(&f.printConfig, "print-config", false, "write the scenario's full JSON config (-scenario or -config, after the other flags) to stdout and exit")
	if code := parseFlags(fs, args, `usage: gwyh sim [flags]

Runs a scenario of the deterministic network simulator: the real GossipSub
router of every node, on virtual time, over a simulated network, with the
scenario's attackers. The same scenario and seed give the same result.
Prints a summary on stdout (or one JSON object with -json) and progress on
stderr; -list names the scenarios, -table runs them all. -strategy all
runs the scenario under every mesh strategy and prints them side by side
(one JSON line per run with -json). With -plot, a
scenario that compares scoring runs twice, scoring on and off: progress
and summaries then say which run they are. Exits 1 on invariant
violations, 2 on bad flags.

-config FILE runs your own parameters: a JSON file (sim/README.md, "Your
own parameters"); flags given with it apply on top. -print-config writes
the full config of -scenario (or of -config's file) after the other
flags, as a starting point, and exits.

'gwyh sim tune' searches score parameters that withstand the attacks of
named scenarios (gwyh sim tune -h).
'gwyh sim calibrate' compares the simulator with a real loopback cluster
(gwyh sim calibrate -h).

flags:
`, stderr); code >= 0 {
		return f, code
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch {
	case f.config != "" && f.set["scenario"]:
		fmt.Fprintf(stderr, "gwyh sim: -config replaces -scenario (the file's \"base\" names a scenario)\n")
		return f, 2
	case (f.config != "" || f.printConfig) && f.table:
		fmt.Fprintf(stderr, "gwyh sim: -table runs the named scenarios: not with -config or -print-config\n")
		return f, 2
	case (f.cpuprofile != "" || f.memprofile != "") && (f.table || f.plot != ""):
		fmt.Fprintf(stderr, "gwyh sim: -cpuprofile and -memprofile profile one run: not with -table or -plot\n")
		return f, 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "gwyh sim: unexpected argument %q (run 'gwyh sim -h')\n", fs.Arg(0))
		return f, 2
	case signProblem(f.sign) != "":
		fmt.Fprintf(stderr, "gwyh sim: %s\n", signProblem(f.sign))
		return f, 2
	case f.scoring != "default" && f.scoring != "on" && f.scoring != "off":
		fmt.Fprintf(stderr, "gwyh sim: -scoring %q: want default, on or off\n", f.scoring)
		return f, 2
	case f.warm < 0:
		fmt.Fprintf(stderr, "gwyh sim: -warm %v: want ≥ 0 messages per second\n", f.warm)
		return f, 2
	case f.proto.mcacheBytes < 1:
		fmt.Fprintf(stderr, "gwyh sim: -mcache-bytes %d: want at least 1\n", f.proto.mcacheBytes)
		return f, 2
	}
	var err error
	if f.strategies, err = parseStrategies(f.strategy); err != nil {
		fmt.Fprintf(stderr, "gwyh sim: -strategy: %v\n", err)
		return f, 2
	}
	if len(f.strategies) > 1 && (f.table || f.plot != "" || f.trace != "" || f.printConfig || f.cpuprofile != "" || f.memprofile != "") {
		fmt.Fprintf(stderr, "gwyh sim: -strategy %s compares strategies: not with -table, -plot, -trace, -print-config or profiles\n", f.strategy)
		return f, 2
	}
	return f, -1
}

// parseStrategies parses -strategy: "" (the scenario's), "all", or a
// comma-separated list of names.
func parseStrategies(v string) ([]mesh.Strategy, error) {
	switch v {
	case "":
		return nil, nil
	case "all":
		return mesh.Strategies(), nil
	}
	var out []mesh.Strategy
	for _, name := range strings.Split(v, ",") {
		s, err := mesh.ParseStrategy(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// simScenario returns the scenario the flags ask for: -scenario's, or
// -config's file's.
func simScenario(f simFlags) (sim.Scenario, error) {
	sc, ok := sim.Lookup(f.scenario)
	if f.config != "" {
		var err error
		if sc, err = readConfigFile(f.config); err != nil {
			return sc, err
		}
	} else if !ok {
		return sc, fmt.Errorf("unknown scenario %q (gwyh sim -list)", f.scenario)
	}
	if f.near && sc.Attack.Kind == sim.AttackNone {
		return sc, fmt.Errorf("-attackers-near: scenario %q has no attackers", sc.Name)
	}
	return withFlags(sc, f), nil
}

// readConfigFile reads a -config file; its error is one line.
func readConfigFile(name string) (sim.Scenario, error) {
	file, err := os.Open(name)
	if err != nil {
		return sim.Scenario{}, err
	}
	defer file.Close()
	sc, err := sim.ReadConfig(file)
	if err != nil {
		// Scenario.Validate reports every problem, one per line.
		return sc, fmt.Errorf("%s: %s", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return sc, nil
}

// withFlags returns sc changed as the flags say; with -config, only as
// those given on the command line say. The protocol flags (-choke,
// -idontwant, -mcache-bytes, ...) change a built-in scenario's
// router.Params only when given too, so that a scenario's own (the
// evaluation's presets run without choke) stand unless asked otherwise.
func withFlags(sc sim.Scenario, f simFlags) sim.Scenario {
	given := func(name string) bool { return f.config == "" || f.set[name] }
	if given("nodes") {
		sc = sc.WithNodes(f.nodes)
	}
	// -messages, -size and -warm apply to every topic of a run with
	// several (Scenario.Traffic is then unused).
	traffic := []*sim.Traffic{&sc.Traffic}
	if len(sc.Topics) > 0 {
		sc.Topics = slices.Clone(sc.Topics)
		traffic = traffic[:0]
		for i := range sc.Topics {
			traffic = append(traffic, &sc.Topics[i].Traffic)
		}
	}
	for _, t := range traffic {
		if f.messages > 0 {
			t.Messages = f.messages
		}
		if f.size > 0 {
			t.Size = f.size
		}
		if f.warm > 0 {
			t.WarmRate, t.WarmStart = f.warm, time.Second
		}
	}
	if sc.Params.D == 0 {
		sc.Params = router.DefaultParams()
	}
	f.proto.applyGiven(&sc.Params, func(name string) bool { return f.set[name] })
	if f.set["sign"] {
		sc.Sign = f.sign == "strict"
	}
	if f.zones {
		sc = sc.WithFiveRegions()
	}
	sc.Attack.Near = sc.Attack.Near || f.near
	if f.set["membership"] {
		sc.MembershipMode = f.membership
	}
	if len(f.strategies) == 1 {
		sc.Strategy = f.strategies[0]
	}
	switch f.scoring {
	case "on":
		sc.Scoring = true
	case "off":
		sc.Scoring = false
	}
	return sc
}

// runSim runs `gwyh sim`.
func runSim(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "tune" {
		return runSimTune(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "calibrate" {
		return runCalibrate(args[1:], stdout, stderr)
	}
	f, code := parseSimFlags(args, stderr)
	if code >= 0 {
		return code
	}
	if f.list {
		listScenarios(stdout)
		return 0
	}
	defer tuneGC()()
	if f.table && f.preset == "paper" {
		return paperTable(f, stdout, stderr)
	}
	if f.table {
		return simTable(f, stdout, stderr)
	}
	sc, err := simScenario(f)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return 2
	}
	if f.printConfig {
		if err := sim.WriteConfig(stdout, sc); err != nil {
			fmt.Fprintf(stderr, "gwyh sim: -print-config: %v\n", err)
			return 1
		}
		return 0
	}
	if len(f.strategies) > 1 {
		return simStrategies(f, sc, stdout, stderr)
	}
	// Two runs when the plot compares scoring: each one's progress and
	// summary say which it is.
	compare := f.plot != "" && sc.CompareScoring && f.scoring == "default"
	opt := sim.RunOptions{Workers: f.workers}
	if !f.quiet {
		opt.Progress = stderr
		if compare {
			opt.Progress = &prefixWriter{w: stderr, prefix: "[" + scoringLabel(sc.Scoring) + "] "}
		}
	}
	if f.trace != "" {
		tf, err := os.Create(f.trace)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
			return 1
		}
		defer tf.Close()
		bw := bufio.NewWriter(tf)
		defer bw.Flush()
		opt.Trace = bw
	}
	var heap peakHeap
	if f.memprofile != "" {
		opt.Tenth = heap.sample
	}
	stop, err := startProfiles(f.cpuprofile, "")
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return 1
	}
	res, err := sim.Run(sc, f.seed, opt)
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	if err == nil && f.memprofile != "" {
		if err = heap.write(f.memprofile); err == nil && !f.quiet {
			fmt.Fprintf(stderr, "gwyh sim: heap profile at virtual %v: %.1f MB live\n", heap.at.Truncate(time.Millisecond), float64(heap.live)/1e6)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return 1
	}
	results := []*sim.Result{res}
	if f.plot != "" {
		r2, code := simPlot(f, sc, res, compare, opt, stderr)
		if code != 0 {
			return code
		}
		if r2 != nil {
			results = append(results, r2)
		}
	}
	if f.json {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			printSummary(stdout, r)
		}
	}
	code = 0
	for _, r := range results {
		if r.Violations > 0 {
			fmt.Fprintf(stderr, "gwyh sim: %d invariant violations (scenario %s, %s, seed %d): %v\n",
				r.Violations, r.Scenario, scoringLabel(r.Scoring), r.Seed, r.ViolationLog)
			code = 1
		}
	}
	return code
}

// prefixWriter writes prefix at the start of every line.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool // within a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.mid = c != '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// tuneGC trades some memory for time unless GOGC is set: a run's heap is
// mostly router state that lives for the whole run, so collecting at
// 150 % growth instead of 100 % saves GC work. That headroom is too much
// for a large run (a live heap of 1.5 GB may grow to 3.75 GB), so unless
// GOMEMLIMIT is set a governor also keeps a soft memory limit of a quarter
// over the live heap, never under gcFloor (see heapGovernor). The returned
// function stops the governor.
func tuneGC() (stop func()) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(150)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	return startHeapGovernor(gcFloor, 100*time.Millisecond)
}

// gcFloor is the least soft memory limit the heap governor sets: runs
// whose live heap stays under about 0.8 GiB are left to GOGC alone.
const gcFloor = 7 << 28 // 1.75 GiB

// startHeapGovernor sets the soft memory limit (debug.SetMemoryLimit) to
// a quarter over the live heap of the last collection, plus 64 MiB for the
// runtime's own memory, and at least floor, checking every period until
// the returned function is called (which lifts the limit again). A fixed
// limit would make a run whose live heap passes it collect without end;
// this one moves up with the live heap, so collections come at most every
// quarter of it, mostly on a core the run's own goroutines leave.
func startHeapGovernor(floor int64, period time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		live := int64(sample[0].Value.Uint64())
		debug.SetMemoryLimit(max(floor, live+live/4+64<<20))
	}
	set()
	go func() {
		defer close(finished)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				set()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// simPlot writes the plot; when compare is set (the scenario compares
// scoring) it runs the other setting too and returns that run's result.
func simPlot(f simFlags, sc sim.Scenario, res *sim.Result, compare bool, opt sim.RunOptions, stderr io.Writer) (*sim.Result, int) {
	runs := []sim.PlotRun{{Label: scoringLabel(res.Scoring), Result: res}}
	var r2 *sim.Result
	if compare {
		other := sc
		other.Scoring = !sc.Scoring
		if opt.Progress != nil {
			opt.Progress = &prefixWriter{w: stderr, prefix: "[" + scoringLabel(other.Scoring) + "] "}
		}
		var err error
		if r2, err = sim.Run(other, f.seed, opt); err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
			return nil, 1
		}
		runs = append(runs, sim.PlotRun{Label: scoringLabel(r2.Scoring), Result: r2})
	}
	out, err := os.Create(f.plot)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return nil, 1
	}
	err = sim.WritePlot(out, sc.Name, runs)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: plot: %v\n", err)
		return nil, 1
	}
	return r2, 0
}

func scoringLabel(on bool) string {
	if on {
		return "scoring on"
	}
	return "scoring off"
}

func listScenarios(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range append(sim.Scenarios(), sim.PaperScenarios()...) {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
	}
	tw.Flush()
}

// runLabel names a run's setting: scenario, scoring, nodes, attack, and
// with zones the zones.
func runLabel(r *sim.Result) string {
	near, zones := "", ""
	if r.AttackersNear {
		near = ", near their victims"
	}
	if zl := r.ZoneLatency; zl != nil {
		zones = fmt.Sprintf(", zones %s", strings.Join(zl.Zones, " "))
	}
	return fmt.Sprintf("scenario %s, %s: %d honest + %d attackers (%s%s)%s",
		r.Scenario, scoringLabel(r.Scoring), r.Nodes, r.Attackers, r.Attack, near, zones)
}

// printZoneLatency prints the latency matrix by zone pair.
func printZoneLatency(w io.Writer, zl *sim.ZoneLatency) {
	fmt.Fprintf(w, "  latency p50/p99 ms by zone pair (row: publisher's zone, column: receiver's):\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t")
	for _, z := range zl.Zones {
		fmt.Fprintf(tw, "%s\t", z)
	}
	fmt.Fprintln(tw)
	for i, z := range zl.Zones {
		fmt.Fprintf(tw, "    %s\t", z)
		for j := range zl.Zones {
			if zl.Deliveries[i][j] == 0 {
				fmt.Fprintf(tw, "–\t")
				continue
			}
			fmt.Fprintf(tw, "%.0f/%.0f\t", zl.P50Ms[i][j], zl.P99Ms[i][j])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func printSummary(w io.Writer, r *sim.Result) {
	fmt.Fprintf(w, "%s, seed %d\n", runLabel(r), r.Seed)
	fmt.Fprintf(w, "  delivery %.4f  latency p50 %.0f ms  p90 %.0f ms  p99 %.0f ms  max %.0f ms\n",
		r.DeliveryRatio, r.LatP50Ms, r.LatP90Ms, r.LatP99Ms, r.LatMaxMs)
	fmt.Fprintf(w, "  duplicates/msg/node %.2f  bytes/msg/node %.0f  control share %.2f  recovery %.0f ms\n",
		r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.ControlShare, r.RecoveryMs)
	if r.TargetDeliveryRatio >= 0 {
		fmt.Fprintf(w, "  eclipse targets' delivery %.4f\n", r.TargetDeliveryRatio)
	}
	for _, t := range r.Topics {
		fmt.Fprintf(w, "  topic %s: %d messages  delivery %.4f  p50 %.0f ms  p99 %.0f ms  duplicates/msg/node %.2f  message bytes/msg/node %.0f\n",
			t.Name, t.Messages, t.DeliveryRatio, t.LatP50Ms, t.LatP99Ms, t.DupPerMsgPerNode, t.MsgBytesPerMsgPerNode)
	}
	if zl := r.ZoneLatency; zl != nil {
		fmt.Fprintf(w, "  strategy %s  cross-zone bytes/msg/node %.0f  cross-zone member B/node/s %.0f\n",
			r.Strategy, r.CrossZoneBytesPerMsgPerNode, r.CrossZoneMemberBytesPerNodePerS)
		printZoneLatency(w, zl)
	} else {
		fmt.Fprintf(w, "  strategy %s\n", r.Strategy)
	}
	if r.Scoring {
		// What scoring costs (README.md): false positives, honest peers
		// below each threshold; false negatives, attackers at or above.
		g3 := func(a, b, c float64) string { return fmt.Sprintf("%.3g/%.3g/%.3g", a, b, c) }
		fmt.Fprintf(w, "  score thresholds gossip/publish/graylist: FP %s of honest pairs, %s of honest nodes; FN %s of attacker pairs, %s s above per attacker\n",
			g3(r.ScoreFPGossip, r.ScoreFPPublish, r.ScoreFPGraylist),
			g3(r.ScoreFPPeersGossip, r.ScoreFPPeersPublish, r.ScoreFPPeersGraylist),
			g3(r.ScoreFNGossip, r.ScoreFNPublish, r.ScoreFNGraylist),
			g3(r.ScoreFNSecondsGossip, r.ScoreFNSecondsPublish, r.ScoreFNSecondsGraylist))
	}
	if r.Membership == sim.MembershipDirectory.String() {
		fmt.Fprintf(w, "  membership directory (a shared directory of live nodes, no SWIM: membership figures do not apply)  dials %d  failed %d\n",
			r.Dials, r.DialFailures)
	} else {
		fmt.Fprintf(w, "  membership %s  dials %d  failed %d  member B/node/s %.0f\n", r.Membership, r.Dials, r.DialFailures, r.MemberBytesPerNodePerS)
	}
	fmt.Fprintf(w, "  virtual %.0f s, wall %.1f s, peak RSS %.0f MiB, invariant violations %d\n",
		r.VirtualS, r.WallS, r.PeakRSSMB, r.Violations)
}

// simJob is one run of -table or -strategy.
type simJob struct {
	sc    sim.Scenario
	label string // prefixes its progress lines ("" for none)
	res   *sim.Result
	err   error
}

// runJobs runs jobs, f.parallel at a time, each deterministic and on the
// cores the others leave (RunOptions.Workers: all of them at -parallel 1);
// progress lines (unless -q) are serialised.
func runJobs(f simFlags, jobs []*simJob, stderr io.Writer) {
	var mu sync.Mutex // serialises progress lines
	next := make(chan *simJob)
	var wg sync.WaitGroup
	for range max(f.parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				opt := sim.RunOptions{Workers: sim.WorkersBeside(f.parallel)}
				if !f.quiet {
					opt.Progress = lockedWriter{&mu, stderr}
					if j.label != "" {
						opt.Progress = &prefixWriter{w: opt.Progress, prefix: "[" + j.label + "] "}
					}
				}
				j.res, j.err = sim.Run(j.sc, f.seed, opt)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

// jobsFailed reports the errors and invariant violations of jobs on
// stderr and returns the exit status: 1 if any, else 0.
func jobsFailed(jobs []*simJob, stderr io.Writer) int {
	code := 0
	for _, j := range jobs {
		if j.err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", j.err)
			code = 1
		} else if r := j.res; r.Violations > 0 {
			fmt.Fprintf(stderr, "gwyh sim: %s (%s) seed %d: %d invariant violations: %v\n", r.Scenario, r.Strategy, r.Seed, r.Violations, r.ViolationLog)
			code = 1
		}
	}
	return code
}

// deliveryCell is a result's delivery for a table: with the eclipse
// targets' in parentheses.
func deliveryCell(r *sim.Result) string {
	del := fmt.Sprintf("%.4f", r.DeliveryRatio)
	if r.TargetDeliveryRatio >= 0 {
		del += fmt.Sprintf(" (targets %.4f)", r.TargetDeliveryRatio)
	}
	return del
}

// scoringOnOff returns two jobs per scenario, scoring on then off.
func scoringOnOff(scs []sim.Scenario) []*simJob {
	jobs := make([]*simJob, 0, 2*len(scs))
	for _, sc := range scs {
		for _, on := range []bool{true, false} {
			sc.Scoring = on
			jobs = append(jobs, &simJob{sc: sc})
		}
	}
	return jobs
}

// simTable runs every scenario with scoring on and off, f.parallel runs at
// a time, and prints a markdown table in scenario order.
func simTable(f simFlags, stdout, stderr io.Writer) int {
	var scs []sim.Scenario
	for _, sc := range sim.Scenarios() {
		g := f
		g.near = f.near && sc.Attack.Kind != sim.AttackNone // -attackers-near: the attack scenarios
		scs = append(scs, withFlags(sc, g))
	}
	jobs := scoringOnOff(scs)
	runJobs(f, jobs, stderr)
	fmt.Fprintf(stdout, "| scenario | scoring | honest | attackers | delivery | p50 ms | p99 ms | max ms | dup/msg/node | bytes/msg/node | cross-zone B/msg/node | control share | recovery ms | wall s |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, j := range jobs {
		if j.err != nil {
			continue
		}
		r := j.res
		fmt.Fprintf(stdout, "| %s | %s | %d | %d | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.0f | %.1f |\n",
			r.Scenario, onOff(r.Scoring), r.Nodes, r.Attackers, deliveryCell(r), r.LatP50Ms, r.LatP99Ms, r.LatMaxMs,
			r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.CrossZoneBytesPerMsgPerNode, r.ControlShare, r.RecoveryMs, r.WallS)
	}
	return jobsFailed(jobs, stderr)
}

// simStrategies runs sc once per strategy of f (same seed, f.parallel at
// a time) and prints them side by side: a markdown table, or one JSON
// line per run with -json.
func simStrategies(f simFlags, sc sim.Scenario, stdout, stderr io.Writer) int {
	jobs := make([]*simJob, len(f.strategies))
	for i, st := range f.strategies {
		jobs[i] = &simJob{sc: sc, label: st.String()}
		jobs[i].sc.Strategy = st
	}
	runJobs(f, jobs, stderr)
	if f.json {
		for _, j := range jobs {
			if j.err != nil {
				continue
			}
			b, err := json.Marshal(j.res)
			if err != nil {
				fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
				return 1
			}
			fmt.Fprintln(stdout, string(b))
		}
		return jobsFailed(jobs, stderr)
	}
	for _, j := range jobs {
		if j.err == nil {
			fmt.Fprintf(stdout, "%s, seed %d, %d measured messages:\n\n", runLabel(j.res), j.res.Seed, j.res.Messages)
			break
		}
	}
	fmt.Fprintf(stdout, "| strategy | delivery | p50 ms | p99 ms | cross-zone B/msg/node | bytes/msg/node | dup/msg/node |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|\n")
	for _, j := range jobs {
		if j.err != nil {
			continue
		}
		r := j.res
		fmt.Fprintf(stdout, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.2f |\n",
			r.Strategy, deliveryCell(r), r.LatP50Ms, r.LatP99Ms, r.CrossZoneBytesPerMsgPerNode, r.BytesPerMsgPerNode, r.DupPerMsgPerNode)
	}
	return jobsFailed(jobs, stderr)
}

// lockedWriter serialises writes of concurrent runs' progress.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// paperTable runs every scenario of sim.PaperScenarios with scoring on
// and off and prints sim/README's table of the evaluation's attacks: one
// row per scenario, each cell "on | off".
func paperTable(f simFlags, stdout, stderr io.Writer) int {
	var scs []sim.Scenario
	for _, sc := range sim.PaperScenarios() {
		scs = append(scs, withFlags(sc, f))
	}
	jobs := scoringOnOff(scs)
	runJobs(f, jobs, stderr)
	fmt.Fprintf(stdout, "| scenario | honest | attackers | delivery | target delivery | p50/p99 ms | dup/msg/node | recovery ms |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|---|\n")
	for i := 0; i+1 < len(jobs); i += 2 {
		on, off := jobs[i].res, jobs[i+1].res
		if on == nil || off == nil {
			continue
		}
		target := "–"
		if on.TargetDeliveryRatio >= 0 {
			target = fmt.Sprintf("%.4f \\| %.4f", on.TargetDeliveryRatio, off.TargetDeliveryRatio)
		}
		fmt.Fprintf(stdout, "| %s | %d | %d | %.4f \\| %.4f | %s | %.0f/%.0f \\| %.0f/%.0f | %.2f \\| %.2f | %.0f \\| %.0f |\n",
			on.Scenario, on.Nodes, on.Attackers, on.DeliveryRatio, off.DeliveryRatio, target,
			on.LatP50Ms, on.LatP99Ms, off.LatP50Ms, off.LatP99Ms, on.DupPerMsgPerNode, off.DupPerMsgPerNode, on.RecoveryMs, off.RecoveryMs)
	}
	return jobsFailed(jobs, stderr)
}
