package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gwyh/gwyh/sim"
)

func TestSimTuneBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-attacks", "sybil,nope"}, `unknown scenario "nope"`},
		{[]string{"-scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"-attacks", "sybil,spam", "-budget", "5"}, "-budget 5: want a multiple of the 2 attacks"},
		{[]string{"-attacks", "sybil", "-budget", "1"}, "at least 2"},
		{[]string{"-nodes", "1"}, "-nodes 1"},
		{[]string{"-messages", "-1"}, "-messages -1"},
		{[]string{"-go-package", "my-pkg"}, "not a Go identifier"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-budget", "x"}, "invalid value"},
		{[]string{"-config", "c.json", "-scenario", "sybil"}, "-config replaces -scenario"},
		{[]string{"-config", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
	} {
		var out, errb bytes.Buffer
		if code := runSim(append([]string{"tune", "-q"}, tc.args...), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(errb.String(), tc.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", tc.args, errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := runSim([]string{"tune", "-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "usage: gwyh sim tune") {
		t.Errorf("-h: exit %d, %q", code, errb.String())
	}
}

// A tiny tune end to end: the table on stdout, the Go code in -go, one
// progress line per run on stderr, and the same output for the same seed
// whatever -parallel is.
func TestSimTune(t *testing.T) {
	dir := t.TempDir()
	var outs []string
	for _, par := range []string{"1", "2"} {
		goFile := filepath.Join(dir, "tuned"+par+".go")
		var out, errb bytes.Buffer
		args := []string{"tune", "-attacks", "spam", "-budget", "2", "-nodes", "10", "-messages", "10", "-seed", "4",
			"-parallel", par, "-go", goFile, "-go-package", "tuned"}
		if code := run(append([]string{"sim"}, args...), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if n := strings.Count(errb.String(), "tune: run "); n != 2 {
			t.Errorf("%d runs reported, want 2:\n%s", n, errb.String())
		}
		for _, want := range []string{"2 runs over spam, seed 4", "| spam | start | 10 | 1 |", "| spam | tuned |", "| GraylistThreshold | -400 |"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, out.String())
			}
		}
		src, err := os.ReadFile(goFile)
		if err != nil || !bytes.HasPrefix(src, []byte("// Score parameters tuned by `gwyh sim tune` (seed 4, 2 runs over spam)")) ||
			!bytes.Contains(src, []byte("package tuned\n")) || !bytes.Contains(src, []byte("func TunedScoreParams(topic string) score.Params {")) {
			t.Errorf("-go file: %v\n%s", err, src)
		}
		outs = append(outs, out.String()+string(src))
	}
	if outs[0] != outs[1] {
		t.Errorf("-parallel 1 and 2 differ:\n%s\n%s", outs[0], outs[1])
	}
}

// The workflow of issue 16: -print-config, change the topic's parameters,
// tune them with -config, read the tuned config back from -out.
func TestSimTuneConfig(t *testing.T) {
	dir := t.TempDir()
	var cfg, errb bytes.Buffer
	if code := run([]string{"sim", "-print-config", "-scenario", "baseline", "-nodes", "10", "-messages", "10"}, &cfg, &errb); code != 0 {
		t.Fatalf("-print-config: exit %d: %s", code, errb.String())
	}
	mine := cfg.String()
	for old, repl := range map[string]string{`"size": 256,`: `"size": 64,`, `"time_in_mesh_weight": 0.0027,`: `"time_in_mesh_weight": 0.125,`,
		`"mesh_message_deliveries_threshold": 10,`: `"mesh_message_deliveries_threshold": 150,`} {
		if !strings.Contains(mine, old) {
			t.Fatalf("-print-config lacks %s", old)
		}
		mine = strings.Replace(mine, old, repl, 1)
	}
	in, out := filepath.Join(dir, "mine.json"), filepath.Join(dir, "tuned.json")
	if err := os.WriteFile(in, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	errb.Reset()
	args := []string{"sim", "tune", "-config", in, "-attacks", "spam", "-budget", "3", "-seed", "2", "-q", "-out", out}
	if code := run(args, &stdout, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(stdout.String(), "| MeshMessageDeliveriesThreshold | 150 |") || !strings.Contains(stdout.String(), "```go\n") ||
		strings.Contains(stdout.String(), "```json") {
		t.Errorf("stdout: the start is not the file's, or the Go code or config is misplaced:\n%s", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tuned, err := sim.ReadConfig(f)
	if err != nil {
		t.Fatalf("-out does not read back: %v", err)
	}
	p, err := sim.TuneParamsOf(tuned)
	if err != nil {
		t.Fatal(err)
	}
	// The table's tuned column is what -out holds.
	for _, row := range []struct {
		name string
		v    float64
	}{{"MeshMessageDeliveriesThreshold", p.MeshMessageDeliveriesThreshold}, {"GraylistThreshold", p.GraylistThreshold},
		{"BehaviourPenaltyWeight", p.BehaviourPenaltyWeight}} {
		want := "| " + row.name + " | "
		i := strings.Index(stdout.String(), want)
		if i < 0 {
			t.Fatalf("no row %s", row.name)
		}
		line, _, _ := strings.Cut(stdout.String()[i:], "\n")
		if cells := strings.Split(line, " | "); len(cells) != 3 || strings.TrimSuffix(cells[2], " |") != strconv.FormatFloat(row.v, 'g', -1, 64) {
			t.Errorf("row %q, -out has %v", line, row.v)
		}
	}
	if tuned.Nodes != 10 || tuned.Traffic.Size != 64 || tuned.ScoreParams(sim.Topic).Topics[sim.Topic].TimeInMeshWeight != 0.125 {
		t.Errorf("the user's parameters are lost: nodes %d, size %d, P1 weight %v", tuned.Nodes, tuned.Traffic.Size,
			tuned.ScoreParams(sim.Topic).Topics[sim.Topic].TimeInMeshWeight)
	}
}
