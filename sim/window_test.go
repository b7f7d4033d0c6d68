package sim

import (
	"bytes"
	"slices"
	"testing"
)

// runOrdered runs sc with seed, handling every event in time order when
// workers is 0, windows of node-local events node by node on workers
// goroutines otherwise.
func runOrdered(t *testing.T, sc Scenario, seed uint64, workers int) (*Result, int64) {
	t.Helper()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	sequential := workers == 0
	s, err := newSimulator(&sc, seed, RunOptions{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	s.sequential = sequential
	s.minParallel = 2 // share every window the workers can
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
// node, on one goroutine or shared by three, gives the run handling every
// event in time order gives, in every scenario (churn, partitions,
// crashes, loss with stalls, zones, attacks): the lookahead holds, nothing
// a node-local event reads is changed by another node's within a window,
// and the workers' counts add up. Under -race it also finds what two
// workers would both write.
func TestWindowsKeepTheRun(t *testing.T) {
	t.Parallel()
	// Under the race detector, smaller runs, and only the workers (what
	// it is there to check).
	nodes, msgs, workerCounts := 60, 30, []int{1, 3}
	if raceOn {
		nodes, msgs, workerCounts = 24, 12, []int{3}
	}
	var scs []Scenario
	for _, sc := range Scenarios() {
		scs = append(scs, sc.WithNodes(nodes))
	}
	pb, _ := Lookup("paper-covertflash-og")
	scs = append(scs, pb.WithNodes(nodes))
	for _, name := range []string{"baseline", "churn", "crash"} {
		dir, _ := Lookup(name)
		dir = dir.WithNodes(nodes)
		dir.Name += "-directory"
		dir.MembershipMode = MembershipDirectory
		scs = append(scs, dir)
	}
	for _, sc := range scs {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			sc.Traffic.Messages = msgs
			seq, look := runOrdered(t, sc, 3, 0)
			if look == 0 {
				t.Fatalf("no lookahead: the windows were not tried")
			}
			want := canonical(t, seq)
			for _, workers := range workerCounts {
				win, _ := runOrdered(t, sc, 3, workers)
				if got := canonical(t, win); !bytes.Equal(got, want) {
					t.Errorf("lookahead %v: in time order\n%s\nby windows on %d goroutines\n%s", look, want, workers, got)
				}
			}
		})
	}
}
