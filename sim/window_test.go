package sim

import (
	"bytes"
	"slices"
	"testing"
)

// runOrdered runs sc with seed, handling every event in time order when
// sequential is set, windows of node-local events node by node otherwise.
func runOrdered(t *testing.T, sc Scenario, seed uint64, sequential bool) (*Result, int64) {
	t.Helper()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := newSimulator(&sc, seed, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.sequential = sequential
	if err := s.loop(); err != nil {
		t.Fatal(err)
	}
	r := s.result()
	// The logs list what was found in the order it was found; the
	// windows find it in another.
	slices.Sort(r.ViolationLog)
	slices.Sort(r.FalsePositiveLog)
	return r, s.look
}

// TestWindowsKeepTheRun: handling windows of node-local events node by
// node gives the run handling every event in time order gives, in every
// scenario (churn, partitions, crashes, loss with stalls, zones, attacks):
// the lookahead holds and nothing a node-local event reads is changed by
// another node's within a window.
func TestWindowsKeepTheRun(t *testing.T) {
	t.Parallel()
	var scs []Scenario
	for _, sc := range Scenarios() {
		scs = append(scs, sc.WithNodes(60))
	}
	pb, _ := Lookup("paper-covertflash-og")
	scs = append(scs, pb.WithNodes(60))
	for _, sc := range scs {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			sc.Traffic.Messages = 30
			seq, look := runOrdered(t, sc, 3, true)
			win, _ := runOrdered(t, sc, 3, false)
			if look == 0 {
				t.Fatalf("no lookahead: the windows were not tried")
			}
			if a, b := canonical(t, seq), canonical(t, win); !bytes.Equal(a, b) {
				t.Errorf("lookahead %v: in time order\n%s\nby windows\n%s", look, a, b)
			}
		})
	}
}
