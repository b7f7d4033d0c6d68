package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
