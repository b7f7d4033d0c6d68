package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"text/tabwriter"

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
	parallel int
	messages int
	sign     string
	trace    string
	quiet    bool
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
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a summary")
	fs.StringVar(&f.plot, "plot", "", "write an SVG plot (latency CDF, delivery over time) to `FILE.svg`; runs scoring on and off where the scenario compares them")
	fs.StringVar(&f.scoring, "scoring", "default", "peer scoring: default (the scenario's), on or off")
	fs.BoolVar(&f.table, "table", false, "run every scenario with scoring on and off and print the README's markdown results table")
	fs.IntVar(&f.parallel, "parallel", runtime.GOMAXPROCS(0), "-table: runs at once (each run is single-threaded and deterministic)")
	fs.IntVar(&f.messages, "messages", 0, "measured messages (0: the scenario's)")
	fs.StringVar(&f.sign, "sign", "none", "signature policy: strict (sign and verify every message; slow) or none")
	fs.StringVar(&f.trace, "trace", "", "write one line per event to `FILE` (small runs only)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	if code := parseFlags(fs, args, `usage: gwyh sim [flags]

Runs a scenario of the deterministic network simulator: the real GossipSub
router of every node, on virtual time, over a simulated network, with the
scenario's attackers. The same scenario and seed give the same result.
Prints a summary on stdout (or one JSON object with -json) and progress on
stderr; -list names the scenarios, -table runs them all. With -plot, a
scenario that compares scoring runs twice, scoring on and off: progress
and summaries then say which run they are. Exits 1 on invariant
violations, 2 on bad flags.

flags:
`, stderr); code >= 0 {
		return f, code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "gwyh sim: unexpected argument %q (run 'gwyh sim -h')\n", fs.Arg(0))
		return f, 2
	case f.sign != "strict" && f.sign != "none":
		fmt.Fprintf(stderr, "gwyh sim: -sign %q: want strict or none\n", f.sign)
		return f, 2
	case f.scoring != "default" && f.scoring != "on" && f.scoring != "off":
		fmt.Fprintf(stderr, "gwyh sim: -scoring %q: want default, on or off\n", f.scoring)
		return f, 2
	}
	return f, -1
}

// simScenario returns the scenario the flags ask for.
func simScenario(f simFlags) (sim.Scenario, error) {
	sc, ok := sim.Lookup(f.scenario)
	if !ok {
		return sc, fmt.Errorf("unknown scenario %q (gwyh sim -list)", f.scenario)
	}
	sc = sc.WithNodes(f.nodes)
	if f.messages > 0 {
		sc.Traffic.Messages = f.messages
	}
	sc.Sign = sc.Sign || f.sign == "strict"
	switch f.scoring {
	case "on":
		sc.Scoring = true
	case "off":
		sc.Scoring = false
	}
	return sc, nil
}

// runSim runs `gwyh sim`.
func runSim(args []string, stdout, stderr io.Writer) int {
	f, code := parseSimFlags(args, stderr)
	if code >= 0 {
		return code
	}
	if f.list {
		listScenarios(stdout)
		return 0
	}
	tuneGC()
	if f.table {
		return simTable(f, stdout, stderr)
	}
	sc, err := simScenario(f)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return 2
	}
	// Two runs when the plot compares scoring: each one's progress and
	// summary say which it is.
	compare := f.plot != "" && sc.CompareScoring && f.scoring == "default"
	opt := sim.RunOptions{}
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
	res, err := sim.Run(sc, f.seed, opt)
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
// 150 % growth instead of 100 % saves GC work. (No soft memory limit: a
// large run whose live heap passes it would collect without end.)
func tuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(150)
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
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
	}
	tw.Flush()
}

func printSummary(w io.Writer, r *sim.Result) {
	fmt.Fprintf(w, "scenario %s, %s: %d honest + %d attackers (%s), seed %d\n",
		r.Scenario, scoringLabel(r.Scoring), r.Nodes, r.Attackers, r.Attack, r.Seed)
	fmt.Fprintf(w, "  delivery %.4f  latency p50 %.0f ms  p90 %.0f ms  p99 %.0f ms  max %.0f ms\n",
		r.DeliveryRatio, r.LatP50Ms, r.LatP90Ms, r.LatP99Ms, r.LatMaxMs)
	fmt.Fprintf(w, "  duplicates/msg/node %.2f  bytes/msg/node %.0f  control share %.2f  recovery %.0f ms\n",
		r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.ControlShare, r.RecoveryMs)
	if r.TargetDeliveryRatio >= 0 {
		fmt.Fprintf(w, "  eclipse targets' delivery %.4f\n", r.TargetDeliveryRatio)
	}
	fmt.Fprintf(w, "  virtual %.0f s, wall %.1f s, peak RSS %.0f MiB, invariant violations %d\n",
		r.VirtualS, r.WallS, r.PeakRSSMB, r.Violations)
}

// simTable runs every scenario with scoring on and off, f.parallel runs at
// a time, and prints a markdown table in scenario order.
func simTable(f simFlags, stdout, stderr io.Writer) int {
	type job struct {
		sc  sim.Scenario
		res *sim.Result
		err error
	}
	var jobs []*job
	for _, sc := range sim.Scenarios() {
		sc = sc.WithNodes(f.nodes)
		if f.messages > 0 {
			sc.Traffic.Messages = f.messages
		}
		for _, on := range []bool{true, false} {
			sc.Scoring = on
			jobs = append(jobs, &job{sc: sc})
		}
	}
	var mu sync.Mutex // serialises progress lines
	next := make(chan *job)
	var wg sync.WaitGroup
	for range max(f.parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				opt := sim.RunOptions{}
				if !f.quiet {
					opt.Progress = lockedWriter{&mu, stderr}
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
	fmt.Fprintf(stdout, "| scenario | scoring | honest | attackers | delivery | p50 ms | p99 ms | max ms | dup/msg/node | bytes/msg/node | control share | recovery ms | wall s |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	code := 0
	for _, j := range jobs {
		if j.err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", j.err)
			code = 1
			continue
		}
		r := j.res
		del := fmt.Sprintf("%.4f", r.DeliveryRatio)
		if r.TargetDeliveryRatio >= 0 {
			del += fmt.Sprintf(" (targets %.4f)", r.TargetDeliveryRatio)
		}
		fmt.Fprintf(stdout, "| %s | %s | %d | %d | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.1f |\n",
			r.Scenario, onOff(r.Scoring), r.Nodes, r.Attackers, del, r.LatP50Ms, r.LatP99Ms, r.LatMaxMs,
			r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.ControlShare, r.RecoveryMs, r.WallS)
		if r.Violations > 0 {
			fmt.Fprintf(stderr, "gwyh sim: %s seed %d: %d invariant violations: %v\n", r.Scenario, r.Seed, r.Violations, r.ViolationLog)
			code = 1
		}
	}
	return code
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
