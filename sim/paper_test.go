package sim

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// TestPaperScenariosValidate: every paper row is valid at the paper's
// size and small, is found by Lookup, is named paper-…, names its attack
// kind, and keeps the evaluation's setup (100 publishers of 1,000, 120
// msg/s of 2 KiB, D=8/6/12, Dlazy 12, flood publish, P3 threshold 10).
func TestPaperScenariosValidate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range PaperScenarios() {
		if !strings.HasPrefix(s.Name, "paper-") || seen[s.Name] {
			t.Errorf("bad or duplicate name %q", s.Name)
		}
		seen[s.Name] = true
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if s40 := s.WithNodes(40); s40.Validate() != nil {
			err := s40.Validate()
			t.Errorf("%s at 40 nodes: %v", s.Name, err)
		}
		if _, ok := Lookup(s.Name); !ok {
			t.Errorf("Lookup(%q) fails", s.Name)
		}
		if s.Attack.Kind.String() == "unknown" {
			t.Errorf("%s: attack kind %d has no name", s.Name, s.Attack.Kind)
		}
		p, tr := s.Params, s.Traffic
		if s.Nodes != 1000 || tr.Publishers != 100 || tr.Rate != 120 || tr.Size != 2048 ||
			p.D != 8 || p.Dlo != 6 || p.Dhi != 12 || p.Dlazy != 12 || !p.FloodPublish ||
			s.ScoreParams(Topic).Topics[Topic].MeshMessageDeliveriesThreshold != 10 {
			t.Errorf("%s: not the evaluation's setup: %+v %+v", s.Name, tr, p)
		}
	}
	if len(seen) != 13 {
		t.Errorf("%d paper rows, want 13", len(seen))
	}
	if s, _ := Lookup("paper-eclipse-publishers"); s.WithNodes(200).Attack.Targets != 20 || s.WithNodes(200).Traffic.Publishers != 20 {
		t.Errorf("eclipse-publishers at 200 nodes: %d targets, %d publishers; want 20 and 20",
			s.WithNodes(200).Attack.Targets, s.WithNodes(200).Traffic.Publishers)
	}
	if s, _ := Lookup("paper-eclipse-target"); s.WithNodes(200).Attack.Targets != 1 {
		t.Errorf("eclipse-target at 200 nodes: %d targets, want 1", s.WithNodes(200).Attack.Targets)
	}
}

// tinyPaper returns the named paper row at n honest nodes on a short
// timeline: attackers (if they come later) at 5 s, 40 measured messages
// from 12 s.
func tinyPaper(t *testing.T, name string, n int) Scenario {
	t.Helper()
	s := small(t, name, n, 40)
	if s.Attack.Start > 0 {
		s.Attack.Start = 5 * time.Second
	}
	if s.Attack.FlashAt > 0 {
		s.Attack.FlashAt = 10 * time.Second
	}
	s.Traffic.Start = 12 * time.Second
	return s
}

// simulate runs s to its end and returns the simulator, for tests that
// look inside.
func simulate(t *testing.T, s Scenario, seed uint64) *simulator {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	sim, err := newSimulator(&s, seed, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.loop(); err != nil {
		t.Fatal(err)
	}
	if v := sim.m.violations; v > 0 {
		t.Fatalf("%d invariant violations: %v", v, sim.m.violationLog)
	}
	return sim
}

// TestDegradeForwardsHalf: degrade attackers withhold about half of the
// messages they would forward (Degrade 0.5), and all of them at 1.
func TestDegradeForwardsHalf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		degrade  float64
		min, max float64
	}{{0.5, 0.4, 0.6}, {1, 1, 1}} {
		s := tinyPaper(t, "paper-degrade", 20)
		s.Attack.PerHonest, s.Topology.AttackerDegree = 0.5, 10
		s.Attack.Degrade = tc.degrade
		sim := simulate(t, s, 1)
		dropped, kept := float64(sim.m.attackDropped), float64(sim.m.attackKept)
		share := dropped / (dropped + kept)
		if dropped+kept < 100 || share < tc.min || share > tc.max {
			t.Errorf("Degrade %v: attackers withheld %v of %v messages (%.2f), want a share in [%v, %v]",
				tc.degrade, dropped, dropped+kept, share, tc.min, tc.max)
		}
	}
}

// TestCensorWithholdsTarget: a censor attacker sends the target no
// message, IHAVE or IWANT and forwards no message the target published,
// but forwards the others' messages.
func TestCensorWithholdsTarget(t *testing.T) {
	t.Parallel()
	s := tinyPaper(t, "paper-censor", 10)
	s.Attack.PerHonest, s.Topology.AttackerDegree = 0.5, 5
	sim, err := newSimulator(&s, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Messages 0 (from the target, node 0) and 1 (from node 3).
	sim.m.msgs[0].pub, sim.m.msgs[1].pub = 0, 3
	msg := func(k byte) rpc.Message {
		d := make([]byte, 64)
		d[4] = k
		return rpc.Message{Topic: Topic, Data: d}
	}
	a := sim.nodes[sim.honest]
	r := &rpc.RPC{
		Publish: []rpc.Message{msg(0), msg(1)},
		IHave:   []rpc.IHave{{Topic: Topic, IDs: []string{"x"}}},
		Graft:   []rpc.Graft{{Topic: Topic}},
	}
	toTarget := sim.filterSends(a, 0, r)
	if len(toTarget.Publish) != 0 || len(toTarget.IHave) != 0 || len(toTarget.Graft) != 1 {
		t.Errorf("to the target: %d messages, %d IHAVE, %d GRAFT; want 0, 0, 1", len(toTarget.Publish), len(toTarget.IHave), len(toTarget.Graft))
	}
	toOther := sim.filterSends(a, 5, r)
	if len(toOther.Publish) != 1 || toOther.Publish[0].Data[4] != 1 || len(toOther.IHave) != 1 {
		t.Errorf("to another node: %d messages (want only message 1), %d IHAVE", len(toOther.Publish), len(toOther.IHave))
	}
	if len(r.Publish) != 2 {
		t.Errorf("filterSends changed the router's RPC")
	}
}

// TestColocationSharedIPs: colocation attackers share 25 addresses,
// honest nodes have distinct ones, and honest scorers give attackers a
// negative P6 term (weight −10) wherever it sees two or more on one
// address (most of them here: ≈ 2 per address per honest node); the same
// attack without shared addresses gives none.
func TestColocationSharedIPs(t *testing.T) {
	t.Parallel()
	for _, ips := range []int{25, 0} {
		s := tinyPaper(t, "paper-colocation", 20)
		s.Attack.PerHonest, s.Topology.AttackerDegree = 5, 10
		s.Attack.IPs = ips
		s.Traffic.Start, s.Traffic.Messages = 8*time.Second, 10
		sim := simulate(t, s, 1)
		honestIPs, attackIPs := map[netip.Addr]bool{}, map[netip.Addr]bool{}
		for _, n := range sim.nodes {
			if n.attacker {
				attackIPs[n.ip] = true
			} else {
				honestIPs[n.ip] = true
			}
		}
		if len(honestIPs) != sim.honest {
			t.Errorf("IPs %d: %d honest addresses for %d honest nodes", ips, len(honestIPs), sim.honest)
		}
		wantA := len(sim.nodes) - sim.honest
		if ips > 0 {
			wantA = ips
		}
		if len(attackIPs) != wantA {
			t.Errorf("IPs %d: %d attacker addresses, want %d", ips, len(attackIPs), wantA)
		}
		negative, attackers := 0, 0
		for i := range sim.honest {
			n := sim.nodes[i]
			for _, ps := range n.scorer.Snapshot(sim.tnow()) {
				if j := sim.byID[ps.Peer]; sim.nodes[j].attacker && ps.Connected {
					attackers++
					if ps.W6 < 0 {
						negative++
					}
				}
			}
		}
		if attackers == 0 {
			t.Fatalf("IPs %d: no attacker connected to an honest scorer", ips)
		}
		if ips > 0 && negative < attackers*3/4 || ips == 0 && negative > 0 {
			t.Errorf("IPs %d: %d of %d attacker scores have P6 < 0", ips, negative, attackers)
		}
	}
}

// TestEclipsePublishersPublish: under AttackEclipsePublishers only the
// targets (the publishers) publish, and every attacker dials them all.
func TestEclipsePublishersPublish(t *testing.T) {
	t.Parallel()
	s := tinyPaper(t, "paper-eclipse-publishers", 20)
	sim := simulate(t, s, 1)
	nt := sim.targets()
	if nt != 2 {
		t.Fatalf("%d targets at 20 nodes, want 2", nt)
	}
	for k, mi := range sim.m.msgs {
		if mi.pub >= int32(nt) {
			t.Fatalf("message %d published by node %d, not a publisher", k, mi.pub)
		}
	}
	for i := sim.honest; i < len(sim.nodes); i++ {
		for tg := range nt {
			if !sim.linked(int32(i), int32(tg)) {
				t.Fatalf("attacker %d not connected to publisher %d", i, tg)
			}
		}
	}
}
