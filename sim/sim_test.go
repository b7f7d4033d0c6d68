package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// small returns the named scenario at n honest nodes with msgs measured
// messages, for tests.
func small(t *testing.T, name string, n, msgs int) Scenario {
	t.Helper()
	s, ok := Lookup(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	s = s.WithNodes(n)
	s.Traffic.Messages = msgs
	return s
}

// run runs s and fails the test, naming the seed, on error or broken
// invariants.
func run(t *testing.T, s Scenario, seed uint64) *Result {
	t.Helper()
	r, err := Run(s, seed, RunOptions{})
	if err != nil {
		t.Fatalf("scenario %s seed %d: %v", s.Name, seed, err)
	}
	if r.Violations > 0 {
		t.Fatalf("scenario %s seed %d: %d invariant violations: %v", s.Name, seed, r.Violations, r.ViolationLog)
	}
	return r
}

// canonical returns r's JSON without the wall-clock fields.
func canonical(t *testing.T, r *Result) []byte {
	t.Helper()
	c := *r
	c.WallS, c.PeakRSSMB = 0, 0
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeterminism: the same seed twice gives the same JSON; another seed
// gives another.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		s    func(t *testing.T) Scenario
	}{
		{"baseline", func(t *testing.T) Scenario {
			s := small(t, "baseline", 40, 100)
			s.Net.Loss = 0.01
			s.Net.Latency.PacketJitter = 5 * time.Millisecond
			return s
		}},
		{"spam", func(t *testing.T) Scenario {
			s := small(t, "spam", 30, 60)
			s.Traffic.Start, s.Traffic.WarmRate = 5*time.Second, 0
			return s
		}},
		{"sybil-near-preferfast", func(t *testing.T) Scenario {
			s := small(t, "sybil", 20, 40).WithFiveRegions()
			s.Attack.Near, s.Strategy = true, mesh.PreferFast
			s.Traffic.Start, s.Traffic.WarmRate = 15*time.Second, 0
			return s
		}},
		{"zones-preferlocal", func(t *testing.T) Scenario {
			s := small(t, "zones", 30, 60)
			s.Strategy = mesh.PreferLocal
			return s
		}},
		{"covertflash", func(t *testing.T) Scenario {
			s := small(t, "covertflash", 20, 60)
			s.Traffic.Start, s.Attack.FlashAt = 5*time.Second, 6*time.Second
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s(t)
			const seed = 42
			a, b := canonical(t, run(t, s, seed)), canonical(t, run(t, s, seed))
			if !bytes.Equal(a, b) {
				t.Fatalf("seed %d: two runs differ:\n%s\n%s", seed, a, b)
			}
			if tc.name != "baseline" {
				return
			}
			if c := canonical(t, run(t, s, seed+1)); bytes.Equal(a, c) {
				t.Fatalf("seeds %d and %d give the same JSON", seed, seed+1)
			}
		})
	}
}

// TestBaseline200Delivers: 200 honest nodes on a clean network deliver
// every message to every node, with sane latencies and mesh degrees.
func TestBaseline200Delivers(t *testing.T) {
	t.Parallel()
	msgs := 100
	if testing.Short() {
		msgs = 30
	}
	const seed = 1
	r := run(t, small(t, "baseline", 200, msgs), seed)
	if r.DeliveryRatio != 1 {
		t.Errorf("seed %d: delivery %v, want 1", seed, r.DeliveryRatio)
	}
	// One hop is 50..150 ms plus serialization; a 200-node mesh is a few
	// hops deep.
	if r.LatP50Ms < 50 || r.LatMaxMs > 2000 {
		t.Errorf("seed %d: latency p50 %v ms, max %v ms out of range", seed, r.LatP50Ms, r.LatMaxMs)
	}
	if r.Published != msgs || r.Messages != msgs {
		t.Errorf("seed %d: published %d, messages %d, want %d", seed, r.Published, r.Messages, msgs)
	}
	// The histogram is taken at the end, between heartbeats, when a
	// PRUNE or an outbound GRAFT may have moved a mesh just out of
	// [Dlo, Dhi] (the invariant checker tests it right after heartbeats).
	total, in := 0, 0
	for d, c := range r.MeshDegreeHist {
		total += c
		if d >= 4 && d <= 12 {
			in += c
		}
	}
	if total != 200 || in < 190 {
		t.Errorf("seed %d: mesh histogram %v: %d nodes, %d in [Dlo, Dhi]", seed, r.MeshDegreeHist, total, in)
	}
	if r.BytesPerMsgPerNode < 256 || r.ControlShare <= 0 || r.ControlShare >= 1 {
		t.Errorf("seed %d: bytes/msg/node %v, control share %v", seed, r.BytesPerMsgPerNode, r.ControlShare)
	}
}

// TestSybilScoring: 10 sybils per honest node. With scoring the honest
// nodes keep delivering (≥ 0.99); without, delivery measurably drops.
func TestSybilScoring(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("550-node attack runs twice; skipped in -short")
	}
	const seed = 3
	var on, off *Result
	t.Run("runs", func(t *testing.T) { // the two runs in parallel
		for _, scoring := range []bool{true, false} {
			t.Run(fmt.Sprint("scoring=", scoring), func(t *testing.T) {
				t.Parallel()
				s := small(t, "sybil", 50, 300)
				s.Scoring = scoring
				if r := run(t, s, seed); scoring {
					on = r
				} else {
					off = r
				}
			})
		}
	})
	if on == nil || off == nil {
		t.FailNow()
	}
	t.Logf("seed %d: delivery scoring on %v (p99 %v ms), off %v (p99 %v ms)", seed, on.DeliveryRatio, on.LatP99Ms, off.DeliveryRatio, off.LatP99Ms)
	if on.Attackers != 500 {
		t.Errorf("seed %d: %d attackers, want 500", seed, on.Attackers)
	}
	if on.DeliveryRatio < 0.99 {
		t.Errorf("seed %d: scoring on: delivery %v < 0.99", seed, on.DeliveryRatio)
	}
	if off.DeliveryRatio > on.DeliveryRatio-0.01 {
		t.Errorf("seed %d: scoring off: delivery %v does not drop measurably below %v", seed, off.DeliveryRatio, on.DeliveryRatio)
	}
}

// smallTraffic is s with the traffic of the all-scenario tests: 60
// messages, or 450 when a partition needs messages published through the
// split.
func smallTraffic(s Scenario) Scenario {
	s.Traffic.Messages = 60
	if s.Net.Partition.At > 0 {
		s.Traffic.Messages = 450
	}
	return s
}

// TestAllScenariosSmall runs every named scenario at 15 honest nodes and
// checks what each one must show.
func TestAllScenariosSmall(t *testing.T) {
	t.Parallel()
	const seed = 7
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			s := smallTraffic(sc.WithNodes(15))
			r := run(t, s, seed)
			if r.Published < 60 || r.DeliveryRatio <= 0.5 {
				t.Errorf("seed %d: published %d, delivery %v", seed, r.Published, r.DeliveryRatio)
			}
			switch s.Name {
			case "partition":
				if r.DropsPartition == 0 || r.RecoveryMs <= 0 {
					t.Errorf("seed %d: partition dropped %d packets, recovery %v ms", seed, r.DropsPartition, r.RecoveryMs)
				}
			case "spam":
				if r.SpamSent == 0 || r.RouterDrops["rejected"] == 0 {
					t.Errorf("seed %d: spam sent %d, rejected %d", seed, r.SpamSent, r.RouterDrops["rejected"])
				}
			case "ihavespam":
				if r.RouterEvents["broken-promise"] == 0 {
					t.Errorf("seed %d: no broken promises: %v", seed, r.RouterEvents)
				}
			case "eclipse":
				if r.TargetDeliveryRatio < 0 {
					t.Errorf("seed %d: no target delivery ratio", seed)
				}
			case "churn":
				if r.DropsOffline == 0 {
					t.Errorf("seed %d: churn lost no packet to a node that left", seed)
				}
			}
			if s.Attack.Kind != AttackNone && r.Attackers == 0 {
				t.Errorf("seed %d: no attackers", seed)
			}
		})
	}
}

// TestInvariantCheckerFails: the checkers report a delivery of an invalid
// message and a double delivery (so a clean run means something).
func TestInvariantCheckerFails(t *testing.T) {
	s := small(t, "baseline", 4, 1)
	sim, err := newSimulator(&s, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := sim.nodes[1]
	sim.m.msgs[0].pub = 0
	good := make([]byte, 32)
	bad := make([]byte, 32)
	bad[0] = invalidMarker
	for _, d := range []*router.Delivery{
		{Msg: rpc.Message{Data: bad}},
		{Msg: rpc.Message{Data: good, Topic: Topic}},
		{Msg: rpc.Message{Data: good, Topic: Topic}},
	} {
		sim.m.deliver(n, d)
	}
	if sim.m.violations != 2 || len(sim.m.violationLog) != 2 {
		t.Fatalf("violations %d %q, want 2 (invalid delivered, delivered twice)", sim.m.violations, sim.m.violationLog)
	}
}
