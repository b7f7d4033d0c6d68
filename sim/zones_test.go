package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/router"
)

// TestCrossZoneBytes: with every node in one zone nothing crosses zones
// and there is no latency matrix; over five regions a share of the bytes
// crosses, and the matrix has every pair of the zones present, its
// deliveries adding up to all of them.
func TestCrossZoneBytes(t *testing.T) {
	t.Parallel()
	const seed = 3
	flat := small(t, "baseline", 30, 40)
	r := run(t, flat, seed)
	if r.CrossZoneBytesPerMsgPerNode != 0 || r.CrossZoneMemberBytesPerNodePerS != 0 || r.ZoneLatency != nil {
		t.Errorf("seed %d: one zone: cross-zone %v B/msg/node, member %v B/node/s, matrix %v; want 0, 0, nil",
			seed, r.CrossZoneBytesPerMsgPerNode, r.CrossZoneMemberBytesPerNodePerS, r.ZoneLatency)
	}

	r = run(t, flat.WithFiveRegions(), seed)
	if c := r.CrossZoneBytesPerMsgPerNode; c <= 0 || c >= r.BytesPerMsgPerNode {
		t.Errorf("seed %d: five regions: cross-zone %v B/msg/node of %v, want a share in (0, all)", seed, c, r.BytesPerMsgPerNode)
	}
	if r.CrossZoneMemberBytesPerNodePerS <= 0 || r.CrossZoneMemberBytesPerNodePerS >= r.MemberBytesPerNodePerS {
		t.Errorf("seed %d: cross-zone member bytes %v of %v B/node/s", seed, r.CrossZoneMemberBytesPerNodePerS, r.MemberBytesPerNodePerS)
	}
	zl := r.ZoneLatency
	if zl == nil || strings.Join(zl.Zones, ",") != strings.Join(FiveRegions().Names, ",") {
		t.Fatalf("seed %d: matrix %+v, want the five regions", seed, zl)
	}
	total := 0
	for i := range zl.Zones {
		for j := range zl.Zones {
			n, p50, p99 := zl.Deliveries[i][j], zl.P50Ms[i][j], zl.P99Ms[i][j]
			total += n
			if n == 0 || p50 <= 0 || p99 < p50 {
				t.Errorf("seed %d: %s→%s: %d deliveries, p50 %v, p99 %v", seed, zl.Zones[i], zl.Zones[j], n, p50, p99)
			}
			// A copy between zones crosses at least one link between
			// regions: ≥ 65 ms / 2 less the 5 ms spread.
			if i != j && p50 < 27 {
				t.Errorf("seed %d: %s→%s: p50 %v ms is faster than any link between regions", seed, zl.Zones[i], zl.Zones[j], p50)
			}
		}
	}
	if want := len(r.LatencyCDF()); total != want {
		t.Errorf("seed %d: the matrix counts %d deliveries, want %d", seed, total, want)
	}

	// Three nodes: three of the five zones have nodes.
	three := flat.WithFiveRegions().WithNodes(3)
	if zl := run(t, three, seed).ZoneLatency; zl == nil || strings.Join(zl.Zones, ",") != "us-east,us-west,eu-west" || len(zl.P50Ms) != 3 || len(zl.P50Ms[2]) != 3 {
		t.Errorf("seed %d: three nodes: matrix %+v, want us-east, us-west, eu-west", seed, zl)
	}
}

// TestStrategyConfig: the scenario's strategy reaches every honest
// router (in its zone) and peer manager, with the parameters' Remote and
// RandomShare; attackers' routers keep Uniform; a strategy the
// parameters cannot run is a config error.
func TestStrategyConfig(t *testing.T) {
	s := small(t, "covertflash", 10, 5).WithFiveRegions()
	s.Strategy = mesh.PreferLocal
	sim, err := newSimulator(&s, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := sim.nodes[3]
	if c := sim.routerConfig(n); c.Params.Strategy != mesh.PreferLocal || c.Zone != "ap-southeast" {
		t.Errorf("honest router: strategy %v zone %q, want preferlocal ap-southeast", c.Params.Strategy, c.Zone)
	}
	want := mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "ap-southeast", Remote: 2, RandomShare: 1.0 / 3}
	if got := sim.peeringConfig(n).Prefs; got != want {
		t.Errorf("peer manager prefs %+v, want %+v", got, want)
	}
	a := sim.nodes[len(sim.nodes)-1]
	if !a.attacker || sim.routerConfig(a).Params.Strategy != mesh.Uniform {
		t.Errorf("attacker router: strategy %v, want uniform", sim.routerConfig(a).Params.Strategy)
	}

	s.Params = router.DefaultParams()
	s.Params.RemoteMeshPeers = 0
	if err := s.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Remote") {
		t.Errorf("PreferLocal without remote mesh peers: Validate = %v, want ErrConfig about Remote", err)
	}
	s = small(t, "baseline", 10, 5)
	s.Attack.Near = true
	if err := s.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Near") {
		t.Errorf("Near without attackers: Validate = %v", err)
	}
}

// TestNearAttackers: under Attack.Near each attacker sits in the zone of
// the honest nodes it dials (eclipse: its target's), and its victims'
// routers see it in their own zone and as their fastest peer; without
// Near, attackers dial across zones.
func TestNearAttackers(t *testing.T) {
	t.Parallel()
	const seed = 5
	for _, tc := range []struct {
		name string
		near bool
	}{
		{"sybil", true}, {"eclipse", true}, {"covertflash", true}, {"sybil", false},
	} {
		t.Run(tc.name+map[bool]string{true: "/near", false: "/far"}[tc.near], func(t *testing.T) {
			t.Parallel()
			// 22 honest nodes: attacker k is not node k mod 5 by chance.
			s := small(t, tc.name, 22, 20).WithFiveRegions()
			s.Attack.Near = tc.near
			s.Net.Latency.PacketJitter = 2 * time.Millisecond
			s.Traffic.Start, s.Traffic.WarmRate = 15*time.Second, 0
			if s.Attack.Kind == AttackEclipse {
				s.Attack.Targets, s.Attack.PerHonest = 3, 0.5
			}
			sim, err := newSimulator(&s, seed, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.loop(); err != nil {
				t.Fatal(err)
			}
			nz := int32(len(FiveRegions().Names))
			for i := sim.honest; i < len(sim.nodes); i++ {
				a, k := sim.nodes[i], int32(i-sim.honest)
				want := k % nz
				switch {
				case !tc.near:
					want = int32(i) % nz
				case s.Attack.Kind == AttackEclipse:
					want = k % 3 // zone of target k mod 3: nodes 0, 1, 2
				}
				if a.zone != want {
					t.Errorf("seed %d: attacker %d in zone %d, want %d", seed, k, a.zone, want)
				}
			}
			nearRTT := 2*NearDelay + s.Net.Latency.PacketJitter
			dialled, across := 0, 0
			for _, a := range sim.nodes[sim.honest:] {
				for i, j := range a.peers {
					h := sim.nodes[j]
					if h.attacker {
						continue
					}
					checkAttackerLink(t, sim, seed, tc.near, nearRTT, a, h, a.ends[i].out, &dialled, &across)
				}
			}
			if dialled == 0 || tc.near && across > 0 || !tc.near && across == 0 {
				t.Errorf("seed %d: %d attacker dials, %d of them across zones", seed, dialled, across)
			}
		})
	}
}

// checkAttackerLink checks honest node h's view of its connection with
// attacker a (out: a dialled it) and counts a's dials.
func checkAttackerLink(t *testing.T, sim *simulator, seed uint64, near bool, nearRTT time.Duration, a, h *node, out bool, dialled, across *int) {
	t.Helper()
	if out {
		*dialled++
		if a.zone != h.zone {
			*across++
		}
	}
	if h.r == nil {
		return
	}
	p := h.r.Placement(a.id)
	if p.Zone != sim.zoneOf(a) {
		t.Errorf("seed %d: node %d sees attacker %d in zone %q, want %q", seed, h.idx, a.idx, p.Zone, sim.zoneOf(a))
	}
	if near && p.RTT != nearRTT {
		t.Errorf("seed %d: node %d measures attacker %d at %v, want %v", seed, h.idx, a.idx, p.RTT, nearRTT)
	}
	for _, j := range h.peers {
		if q := sim.nodes[j]; !q.attacker && near && h.r.Placement(q.id).RTT <= p.RTT {
			t.Errorf("seed %d: node %d: honest peer %d at %v is not slower than attacker %d at %v",
				seed, h.idx, j, h.r.Placement(q.id).RTT, a.idx, p.RTT)
		}
	}
}

// TestHonestRTT: routers learn every honest peer's RTT as a node would
// measure it: twice the link's delay plus the mean per-packet jitter of
// both ways.
func TestHonestRTT(t *testing.T) {
	s := small(t, "baseline", 12, 5).WithFiveRegions()
	s.Net.Latency.PacketJitter = 4 * time.Millisecond
	s.Traffic.Start = 3 * time.Second
	sim, err := newSimulator(&s, 2, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.loop(); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := range sim.honest {
		n := sim.nodes[i]
		for _, j := range n.peers {
			p := sim.nodes[j]
			want := 2*time.Duration(s.Net.Latency.linkDelay(2, n.idx, p.idx, n.zone, p.zone)) + 4*time.Millisecond
			if got := n.r.Placement(p.id); got.RTT != want || got.Zone != FiveRegions().Names[j%5] {
				t.Errorf("node %d sees node %d as %+v, want RTT %v zone %s", i, j, got, want, FiveRegions().Names[j%5])
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no connections")
	}
}
