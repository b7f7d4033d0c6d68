package main

import (
	"context"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/gwyh/gwyh/sim"
)

// tuneFlags are the flags of `gwyh sim tune`.
type tuneFlags struct {
	scenario string
	config   string
	outFile  string
	attacks  []sim.Scenario
	budget   int
	parallel int
	seed     uint64
	nodes    int
	messages int
	goFile   string
	goPkg    string
	quiet    bool
}

// tunePerAttack is the default budget per attack scenario.
const tunePerAttack = 12

// parseTuneFlags parses the arguments of `gwyh sim tune`. The int is -1
// to go on, else the exit status (0 after -h, 2 for a bad flag, reported
// on stderr in one line).
func parseTuneFlags(args []string, stderr io.Writer) (tuneFlags, int) {
	var f tuneFlags
	var attacks string
	fs := flag.NewFlagSet("gwyh sim tune", flag.ContinueOnError)
	fs.StringVar(&f.scenario, "scenario", "baseline", "the starting scenario `name` (see gwyh sim -list): its topic, traffic, network, router and score parameters")
	fs.StringVar(&f.config, "config", "", "start from the scenario the JSON `FILE` describes (gwyh sim -print-config writes one; schema: sim/README.md, \"Your own parameters\") instead of -scenario")
	fs.StringVar(&f.outFile, "out", "", "write the tuned scenario as a config file to `FILE` (default: stdout, after the Go code)")
	fs.StringVar(&attacks, "attacks", "sybil,covertflash", "comma-separated `list` of the scenarios whose attacks the parameters must withstand")
	fs.IntVar(&f.budget, "budget", 0, fmt.Sprintf("runs in all, a multiple of the number of attacks (one run: one candidate under one attack; the starting parameters take the first); 0: %d per attack", tunePerAttack))
	fs.IntVar(&f.parallel, "parallel", runtime.GOMAXPROCS(0), "runs at once, each on the cores the others leave (the result does not depend on it)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of every run and of the search: the same seed gives the same result")
	fs.IntVar(&f.nodes, "nodes", 0, "honest nodes (0: the starting scenario's; attackers come on top, in each attack's ratio)")
	fs.IntVar(&f.messages, "messages", 0, "measured messages per run (0: the starting scenario's)")
	fs.StringVar(&f.goFile, "go", "", "write the tuned parameters as Go code to `FILE` (default: stdout, after the table)")
	fs.StringVar(&f.goPkg, "go-package", "main", "package `name` of the Go code")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	if code := parseFlags(fs, args, `usage: gwyh sim tune [flags]

Searches the score parameters that matter (P3's threshold, weight and
activation, P3b's, P4's, P6's and P7's weights, the gossip, publish,
graylist and opportunistic graft thresholds) of the
starting scenario (-config FILE, or -scenario) under the attacks of the
named scenarios, with a fixed
budget of runs, -parallel at a time. Each run is the starting scenario
(topic, traffic, network, router parameters) with one scenario's attack
and its timing. The best parameters have delivery ≥ 0.99 under every
attack, then the fewest false positives (honest peers below the gossip and
graylist thresholds), then the lowest worst-case p99 latency. Prints the
starting and tuned parameters and their runs as markdown tables, the tuned
parameters as Go code (-go FILE) and the tuned scenario as a config file
(-out FILE; on stdout, in fenced blocks, without them). The same seed gives
the same result. Exits 1 on a failed run, 2 on bad flags.

flags:
`, stderr); code >= 0 {
		return f, code
	}
	bad := func(format string, a ...any) (tuneFlags, int) {
		fmt.Fprintf(stderr, "gwyh sim tune: "+format+"\n", a...)
		return f, 2
	}
	for _, name := range strings.Split(attacks, ",") {
		name = strings.TrimSpace(name)
		sc, ok := sim.Lookup(name)
		if !ok {
			return bad("-attacks: unknown scenario %q (gwyh sim -list)", name)
		}
		f.attacks = append(f.attacks, sc)
	}
	if f.budget == 0 {
		f.budget = tunePerAttack * len(f.attacks)
	}
	switch na := len(f.attacks); {
	case fs.NArg() > 0:
		return bad("unexpected argument %q (run 'gwyh sim tune -h')", fs.Arg(0))
	case f.budget < 2*na || f.budget%na != 0:
		return bad("-budget %d: want a multiple of the %d attacks, at least %d", f.budget, na, 2*na)
	case f.nodes != 0 && f.nodes < 2:
		return bad("-nodes %d: want ≥ 2", f.nodes)
	case f.messages < 0:
		return bad("-messages %d: want ≥ 0", f.messages)
	case !token.IsIdentifier(f.goPkg):
		return bad("-go-package %q: not a Go identifier", f.goPkg)
	}
	scenarioSet := false
	fs.Visit(func(fl *flag.Flag) { scenarioSet = scenarioSet || fl.Name == "scenario" })
	if f.config != "" && scenarioSet {
		return bad("-config replaces -scenario (the file's \"base\" names a scenario)")
	}
	if _, ok := sim.Lookup(f.scenario); !ok && f.config == "" {
		return bad("-scenario: unknown scenario %q (gwyh sim -list)", f.scenario)
	}
	return f, -1
}

// runSimTune runs `gwyh sim tune`.
func runSimTune(args []string, stdout, stderr io.Writer) int {
	f, code := parseTuneFlags(args, stderr)
	if code >= 0 {
		return code
	}
	base, _ := sim.Lookup(f.scenario)
	if f.config != "" {
		var err error
		if base, err = readConfigFile(f.config); err != nil {
			fmt.Fprintf(stderr, "gwyh sim tune: -config %v\n", err)
			return 2
		}
	}
	if f.nodes > 0 {
		base = base.WithNodes(f.nodes)
	}
	if f.messages > 0 {
		for i := range base.Topics {
			base.Topics[i].Traffic.Messages = f.messages
		}
		if len(base.Topics) == 0 {
			base.Traffic.Messages = f.messages
		}
	}
	defer tuneGC()()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := sim.TuneOptions{Budget: f.budget, Parallel: f.parallel, Seed: f.seed}
	if !f.quiet {
		opt.Progress = stderr
	}
	res, err := sim.Tune(ctx, base, f.attacks, opt)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh sim tune: %v\n", err)
		return 1
	}
	if err := res.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "gwyh sim tune: %v\n", err)
		return 1
	}
	if err := writeTunedGo(res, f, stdout); err != nil {
		fmt.Fprintf(stderr, "gwyh sim tune: %v\n", err)
		return 1
	}
	if err := writeTunedConfig(res, f, stdout); err != nil {
		fmt.Fprintf(stderr, "gwyh sim tune: %v\n", err)
		return 1
	}
	code = 0
	for _, rs := range [][]*sim.Result{res.StartResults, res.BestResults} {
		for _, r := range rs {
			if r.Violations > 0 {
				fmt.Fprintf(stderr, "gwyh sim tune: %s seed %d: %d invariant violations: %v\n", r.Scenario, r.Seed, r.Violations, r.ViolationLog)
				code = 1
			}
		}
	}
	return code
}

// writeTunedGo writes the tuned parameters as Go code to -go, or to
// stdout in a fenced block.
func writeTunedGo(res *sim.TuneResult, f tuneFlags, stdout io.Writer) error {
	return writeTuned(f.goFile, "go", stdout, func(w io.Writer) error { return res.WriteGo(w, f.goPkg) })
}

// writeTunedConfig writes the tuned scenario as a config file to -out, or
// to stdout in a fenced block.
func writeTunedConfig(res *sim.TuneResult, f tuneFlags, stdout io.Writer) error {
	return writeTuned(f.outFile, "json", stdout, func(w io.Writer) error { return sim.WriteConfig(w, res.Tuned) })
}

// writeTuned runs write into the file name, or, when name is "", into
// stdout as a markdown block fenced for lang.
func writeTuned(name, lang string, stdout io.Writer, write func(io.Writer) error) error {
	if name == "" {
		fmt.Fprintf(stdout, "\n```%s\n", lang)
		if err := write(stdout); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "```\n")
		return err
	}
	out, err := os.Create(name)
	if err != nil {
		return err
	}
	err = write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
