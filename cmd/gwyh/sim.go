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
	sign     bool
	trace    string
	quiet    bool
}

// parseSimFlags parses the sim subcommand's arguments.
func parseSimFlags(args []string, stderr io.Writer) (simFlags, error) {
	var f simFlags
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	fs.BoolVar(&f.sign, "sign", false, "StrictSign: sign and verify every message (slow; the default is StrictNoSign)")
	fs.StringVar(&f.trace, "trace", "", "write one line per event to `FILE` (small runs only)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	return f, fs.Parse(args)
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
	sc.Sign = sc.Sign || f.sign
	switch f.scoring {
	case "default":
	case "on":
		sc.Scoring = true
	case "off":
		sc.Scoring = false
	default:
		return sc, fmt.Errorf("-scoring must be default, on or off, not %q", f.scoring)
	}
	return sc, nil
}

// runSim runs `gwyh sim`.
func runSim(args []string, stdout, stderr io.Writer) int {
	f, err := parseSimFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
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
	opt := sim.RunOptions{}
	if !f.quiet {
		opt.Progress = stderr
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
	if f.plot != "" {
		if code := simPlot(f, sc, res, opt, stderr); code != 0 {
			return code
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
		printSummary(stdout, res)
	}
	if res.Violations > 0 {
		fmt.Fprintf(stderr, "gwyh sim: %d invariant violations (scenario %s, seed %d): %v\n", res.Violations, res.Scenario, res.Seed, res.ViolationLog)
		return 1
	}
	return 0
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

// simPlot writes the plot; for scenarios that compare scoring it runs the
// other setting too.
func simPlot(f simFlags, sc sim.Scenario, res *sim.Result, opt sim.RunOptions, stderr io.Writer) int {
	runs := []sim.PlotRun{{Label: scoringLabel(res.Scoring), Result: res}}
	if sc.CompareScoring && f.scoring == "default" {
		other := sc
		other.Scoring = !sc.Scoring
		r2, err := sim.Run(other, f.seed, opt)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
			return 1
		}
		runs = append(runs, sim.PlotRun{Label: scoringLabel(r2.Scoring), Result: r2})
	}
	out, err := os.Create(f.plot)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: %v\n", err)
		return 1
	}
	err = sim.WritePlot(out, sc.Name, runs)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim: plot: %v\n", err)
		return 1
	}
	return 0
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
	fmt.Fprintf(w, "scenario %s: %d honest + %d attackers (%s), seed %d, scoring %v\n",
		r.Scenario, r.Nodes, r.Attackers, r.Attack, r.Seed, r.Scoring)
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
