package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
