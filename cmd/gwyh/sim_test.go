package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestSimList(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runSim([]string{"-list"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, name := range []string{"baseline", "sybil", "eclipse", "coldboot", "covertflash",
		"attackatdawn", "spam", "ihavespam", "churn", "partition", "zones", "crash", "lossy"} {
		if !strings.Contains(out.String(), name+" ") {
			t.Errorf("-list does not name %s:\n%s", name, out.String())
		}
	}
}

// TestSimJSON checks the keys of docs/BENCH.md §3 and the plot file.
func TestSimJSON(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "p.svg")
	var out, errb bytes.Buffer
	args := []string{"-scenario", "spam", "-nodes", "10", "-messages", "20", "-seed", "5", "-json", "-q", "-plot", plot}
	if code := runSim(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"scenario", "nodes", "seed", "messages", "delivery_ratio", "lat_p50_ms",
		"lat_p90_ms", "lat_p99_ms", "lat_max_ms", "dup_per_msg_per_node", "bytes_per_msg_per_node",
		"wall_s", "peak_rss_mb", "control_share", "recovery_ms", "scoring", "attackers", "mesh_degree_hist",
		"detect_p50_s", "detect_p99_s", "detect_first_s", "detect_last_s", "false_positives",
		"member_bytes_per_node_per_s", "view_converge_s", "join_known_all_s", "delivery_before_crash", "delivery_after_crash",
		"strategy", "attackers_near", "cross_zone_bytes_per_msg_per_node", "cross_zone_member_bytes_per_node_per_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["seed"].(float64) != 5 || m["nodes"].(float64) != 10 || m["scenario"] != "spam" {
		t.Errorf("JSON does not echo the flags: %v %v %v", m["scenario"], m["nodes"], m["seed"])
	}
	svg, err := os.ReadFile(plot)
	if err != nil || !bytes.Contains(svg, []byte("scoring off")) {
		t.Errorf("plot %s: %v; compares scoring: %v", plot, err, bytes.Contains(svg, []byte("scoring off")))
	}
}

func TestSimBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "nope"},
		{"-scoring", "maybe"},
		{"-nodes", "1"},
		{"-sign"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := runSim(append(args, "-q"), &out, &errb); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// With -plot, a scenario that compares scoring runs twice: each run's
// progress lines and summary say which run they are.
func TestSimPlotLabelsRuns(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "p.svg")
	var out, errb bytes.Buffer
	args := []string{"sim", "-scenario", "spam", "-nodes", "10", "-messages", "20", "-plot", plot}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"scenario spam, scoring on: ", "scenario spam, scoring off: "} {
		if strings.Count(out.String(), want) != 1 {
			t.Errorf("stdout does not have one summary starting %q:\n%s", want, out.String())
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if !strings.HasPrefix(l, "[scoring on] sim spam: ") && !strings.HasPrefix(l, "[scoring off] sim spam: ") {
			t.Errorf("progress line without its run: %q", l)
		}
	}
	if !strings.Contains(errb.String(), "[scoring off] ") {
		t.Errorf("no progress of the scoring-off run:\n%s", errb.String())
	}
}

// -sign takes strict or none in every command that has it, and -h prints
// the same form of usage everywhere.
func TestSignFlagEverywhere(t *testing.T) {
	for _, cmd := range []string{"node", "bench", "sim"} {
		var out, errb bytes.Buffer
		if code := run([]string{cmd, "-sign", "true"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "gwyh "+cmd+": -sign \"true\": want strict or none") {
			t.Errorf("gwyh %s -sign true: exit %d, %q", cmd, code, errb.String())
		}
		errb.Reset()
		if code := run([]string{cmd, "-h"}, &out, &errb); code != 0 || !strings.HasPrefix(errb.String(), "usage: gwyh "+cmd+" [flags]\n") ||
			!strings.Contains(errb.String(), "\nflags:\n") || !strings.Contains(errb.String(), "signature policy: strict") {
			t.Errorf("gwyh %s -h: exit %d, not in the common form:\n%s", cmd, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	args := []string{"sim", "-scenario", "baseline", "-nodes", "8", "-messages", "5", "-sign", "strict", "-q"}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("gwyh sim -sign strict: exit %d: %s", code, errb.String())
	}
}

// -strategy all runs the scenario once per strategy and prints one
// markdown row each (one JSON line each with -json); one strategy runs
// like any run, with its name in the result.
func TestSimStrategies(t *testing.T) {
	base := []string{"-scenario", "zones", "-nodes", "10", "-messages", "10", "-seed", "2", "-q"}
	var out, errb bytes.Buffer
	if code := runSim(append(base, "-strategy", "all"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rows []string
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| strategy ") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 4 || !strings.HasPrefix(lines[0], "scenario zones, scoring on: 10 honest") ||
		!strings.Contains(out.String(), "| strategy | delivery | p50 ms | p99 ms | cross-zone B/msg/node | bytes/msg/node | dup/msg/node |") {
		t.Fatalf("want a caption, a header and 4 rows:\n%s", out.String())
	}
	for i, name := range []string{"uniform", "preferlocal", "hubandspoke", "preferfast"} {
		if !strings.HasPrefix(rows[i], "| "+name+" | ") {
			t.Errorf("row %d is not %s: %s", i, name, rows[i])
		}
	}

	out.Reset()
	if code := runSim(append(base, "-strategy", "preferfast, uniform", "-json", "-parallel", "1"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m struct {
			Strategy    string
			ZoneLatency map[string]any `json:"zone_latency"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.ZoneLatency == nil {
			t.Fatalf("not a JSON line with zone_latency: %v\n%s", err, l)
		}
		got = append(got, m.Strategy)
	}
	if strings.Join(got, ",") != "preferfast,uniform" {
		t.Errorf("JSON lines of %v, want preferfast then uniform", got)
	}

	out.Reset()
	args := []string{"-scenario", "sybil", "-nodes", "10", "-messages", "10", "-q", "-strategy", "PreferLocal", "-zones", "-attackers-near"}
	if code := runSim(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"(sybil, near their victims), zones us-east", "strategy preferlocal  cross-zone bytes/msg/node ", "latency p50/p99 ms by zone pair"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSimStrategyBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-strategy", "fastest"},
		{"-strategy", "uniform,"},
		{"-strategy", "all", "-table"},
		{"-strategy", "all", "-plot", "x.svg"},
		{"-scenario", "baseline", "-attackers-near"},
		{"-warm", "-1"},
	} {
		var out, errb bytes.Buffer
		if code := runSim(append(args, "-q", "-nodes", "5"), &out, &errb); code != 2 || !strings.HasPrefix(errb.String(), "gwyh sim: ") {
			t.Errorf("%v: exit %d, %q; want 2 and a message", args, code, errb.String())
		}
	}
}

// TestSimWarm: -warm publishes background messages before the measured
// ones, so that the run publishes more than it measures.
func TestSimWarm(t *testing.T) {
	published := func(args ...string) int {
		var out, errb bytes.Buffer
		if code := runSim(append([]string{"-q", "-json", "-nodes", "20", "-messages", "5"}, args...), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var r struct{ Messages, Published int }
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Messages != 5 {
			t.Fatalf("%v: %d measured messages, want 5", args, r.Messages)
		}
		return r.Published
	}
	if without, with := published(), published("-warm", "2"); with <= without {
		t.Fatalf("published %d with -warm 2, %d without: want more", with, without)
	}
}

// -print-config writes a scenario's config after the flags; a changed
// copy runs with -config and the result shows the changes; flags given
// with -config apply on top of the file, and only those.
func TestSimConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runSim([]string{"-print-config", "-scenario", "spam", "-nodes", "30", "-messages", "10", "-choke"}, &out, &errb); code != 0 {
		t.Fatalf("-print-config: exit %d: %s", code, errb.String())
	}
	var cfg map[string]any
	if err := json.Unmarshal(out.Bytes(), &cfg); err != nil {
		t.Fatalf("-print-config is not one JSON object: %v\n%s", err, out.String())
	}
	if cfg["base"] != "spam" || cfg["nodes"] != 30.0 || cfg["traffic"].(map[string]any)["messages"] != 10.0 ||
		cfg["params"].(map[string]any)["choke"] != true || cfg["attack"].(map[string]any)["kind"] != "spam" {
		t.Fatalf("-print-config does not have the scenario and flags:\n%s", out.String())
	}
	cfg["name"], cfg["nodes"] = "myspam", 24
	cfg["traffic"].(map[string]any)["messages"] = 7
	b, _ := json.Marshal(cfg)
	file := filepath.Join(t.TempDir(), "my.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if code := runSim([]string{"-config", file, "-json", "-q", "-seed", "3"}, &out, &errb); code != 0 {
		t.Fatalf("-config: exit %d: %s", code, errb.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	if res["scenario"] != "myspam" || res["nodes"] != 24.0 || res["messages"] != 7.0 || res["attackers"] != 2.0 || res["attack"] != "spam" {
		t.Errorf("the run does not show the file's changes: scenario %v nodes %v messages %v attackers %v attack %v",
			res["scenario"], res["nodes"], res["messages"], res["attackers"], res["attack"])
	}

	// Flags given on the command line apply on top; the others (default
	// -nodes 1000, -choke) leave the file alone. A built-in scenario's
	// protocol parameters, too, change only as given (the evaluation's
	// presets run without choke, on by default elsewhere).
	for _, tc := range []struct {
		args          []string
		nodes, msgs   int
		choke, scored bool
	}{
		{[]string{"-config", file}, 24, 7, true, true},
		{[]string{"-config", file, "-nodes", "20", "-choke=false", "-scoring", "off"}, 20, 7, false, false},
		{[]string{"-config", file, "-messages", "3"}, 24, 3, true, true},
		{[]string{"-scenario", "baseline"}, 1000, 1000, true, true},
		{[]string{"-scenario", "paper-baseline"}, 1000, 600, false, true},
		{[]string{"-scenario", "paper-baseline", "-choke"}, 1000, 600, true, true},
	} {
		f, code := parseSimFlags(tc.args, &errb)
		if code >= 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		sc, err := simScenario(f)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if sc.Nodes != tc.nodes || sc.Traffic.Messages != tc.msgs || sc.Params.Choke != tc.choke || sc.Scoring != tc.scored {
			t.Errorf("%v: nodes %d messages %d choke %v scoring %v, want %d %d %v %v", tc.args,
				sc.Nodes, sc.Traffic.Messages, sc.Params.Choke, sc.Scoring, tc.nodes, tc.msgs, tc.choke, tc.scored)
		}
	}

	// -print-config of a file writes it in full, with the flags on top.
	out.Reset()
	if code := runSim([]string{"-print-config", "-config", file, "-size", "100"}, &out, &errb); code != 0 {
		t.Fatalf("-print-config -config: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"name": "myspam"`) || !strings.Contains(out.String(), `"size": 100,`) || !strings.Contains(out.String(), `"messages": 7,`) {
		t.Errorf("-print-config -config:\n%s", out.String())
	}
}

// A bad config file exits 2 with one line on stderr naming the field.
func TestSimConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ file, want string }{
		{`{"base": "sybil", "traffic": {"mesages": 5}}`, `traffic.mesages: unknown field (did you mean "messages"?)`},
		{`{"network": {"latency": {"jitter": "5 ms"}}}`, `network.latency.jitter: bad duration "5 ms"`},
		{`{"nodes": 1, "traffic": {"size": 2}}`, `Nodes 1 < 2; sim: invalid config: Traffic needs`},
	} {
		file := filepath.Join(dir, "c.json")
		if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := runSim([]string{"-config", file, "-q"}, &out, &errb)
		if code != 2 || strings.Count(errb.String(), "\n") != 1 || !strings.HasPrefix(errb.String(), "gwyh sim: "+file+": sim: invalid config: ") ||
			!strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: exit %d, %q; want 2 and one line saying %q", tc.file, code, errb.String(), tc.want)
		}
	}
	for _, args := range [][]string{
		{"-config", filepath.Join(dir, "none.json")},
		{"-config", filepath.Join(dir, "c.json"), "-scenario", "sybil"},
		{"-print-config", "-table"},
		{"-print-config", "-strategy", "all"},
	} {
		var out, errb bytes.Buffer
		if code := runSim(append(args, "-q"), &out, &errb); code != 2 || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and one line", args, code, errb.String())
		}
	}
}

// -membership picks the membership mode; the JSON and the summary say
// which ran (auto: swim at 12 nodes); a bad name exits 2.
func TestSimMembershipFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mode    string
		summary string
	}{
		{nil, "swim", "membership swim"},
		{[]string{"-membership", "directory"}, "directory", "membership directory (a shared directory"},
		{[]string{"-membership", "swim"}, "swim", "membership swim"},
	} {
		for _, asJSON := range []bool{true, false} {
			args := append([]string{"-nodes", "12", "-messages", "10", "-q"}, tc.args...)
			if asJSON {
				args = append(args, "-json")
			}
			var out, errb bytes.Buffer
			if code := runSim(args, &out, &errb); code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errb.String())
			}
			if !asJSON {
				if !strings.Contains(out.String(), tc.summary) {
					t.Errorf("%v: summary does not say %q:\n%s", args, tc.summary, out.String())
				}
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if m["membership"] != tc.mode {
				t.Errorf("%v: membership %v, want %s", args, m["membership"], tc.mode)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := runSim([]string{"-membership", "gossip", "-q"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown membership mode") {
		t.Errorf("-membership gossip: exit %d: %s", code, errb.String())
	}
}

// -cpuprofile and -memprofile write profiles pprof reads (gzipped), the
// heap one taken mid-run (stderr says when, in virtual time, and how much
// was live); they profile one run, so not with -table, -plot or several
// strategies.
func TestSimProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "heap.prof")
	var out, errb bytes.Buffer
	args := []string{"-scenario", "baseline", "-nodes", "20", "-messages", "20", "-json", "-cpuprofile", cpu, "-memprofile", heap}
	if code := runSim(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var at time.Duration
	var live float64
	i := strings.Index(errb.String(), "heap profile at virtual ")
	if i < 0 {
		t.Fatalf("stderr does not say when the heap profile was taken:\n%s", errb.String())
	}
	var atS string
	if _, err := fmt.Sscanf(errb.String()[i:], "heap profile at virtual %s %f MB live", &atS, &live); err != nil {
		t.Fatalf("%v: %s", err, errb.String()[i:])
	}
	at, err := time.ParseDuration(strings.TrimSuffix(atS, ":"))
	if err != nil || at <= 0 || live <= 0 {
		t.Errorf("heap profile at %v (%v), %v MB live: want a time within the run and a live heap", at, err, live)
	}
	for _, name := range []string{cpu, heap} {
		b, err := os.ReadFile(name)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Fatalf("%s: %v, not a gzipped profile", name, err)
		}
	}
	for _, bad := range [][]string{
		{"-table", "-cpuprofile", cpu},
		{"-plot", filepath.Join(dir, "p.svg"), "-memprofile", heap},
		{"-strategy", "all", "-cpuprofile", cpu},
	} {
		errb.Reset()
		if code := runSim(append(bad, "-q"), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, code, errb.String())
		}
	}
}

// The heap governor keeps the soft memory limit a quarter (plus 64 MiB)
// over the live heap, never under its floor, follows the live heap up,
// and lifts the limit when stopped.
func TestHeapGovernor(t *testing.T) {
	const floor = 8 << 20
	limit := func() int64 { return debug.SetMemoryLimit(-1) } // reads it
	stop := startHeapGovernor(floor, time.Millisecond)
	if l := limit(); l < floor || l == math.MaxInt64 {
		stop()
		t.Fatalf("limit %d after start, want at least the floor %d", l, floor)
	}
	live := make([]byte, 64<<20) // 64 MiB, live until the end
	live[len(live)-1] = 1
	runtime.GC()
	want := int64(len(live)) + int64(len(live))/4 // the governor's rule, at least
	deadline := time.Now().Add(10 * time.Second)
	for limit() < want && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	got := limit()
	stop()
	runtime.KeepAlive(live)
	if got < want {
		t.Fatalf("limit %d MiB with 64 MiB live, want at least %d MiB", got>>20, want>>20)
	}
	if got > 2*want {
		t.Fatalf("limit %d MiB with 64 MiB live, want about %d MiB", got>>20, want>>20)
	}
	if l := limit(); l != math.MaxInt64 {
		t.Fatalf("limit %d after stop, want none", l)
	}
}
