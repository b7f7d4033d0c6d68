package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peering"
)

// TestMembershipModeAuto: auto runs swim up to AutoDirectoryNodes honest
// nodes and directory above; an explicit mode is kept at any size.
func TestMembershipModeAuto(t *testing.T) {
	for _, tc := range []struct {
		mode  MembershipMode
		nodes int
		want  MembershipMode
	}{
		{MembershipAuto, 200, MembershipSwim},
		{MembershipAuto, AutoDirectoryNodes, MembershipSwim},
		{MembershipAuto, AutoDirectoryNodes + 1, MembershipDirectory},
		{MembershipAuto, 10000, MembershipDirectory},
		{MembershipSwim, 10000, MembershipSwim},
		{MembershipDirectory, 10, MembershipDirectory},
	} {
		s := Scenario{Nodes: tc.nodes, MembershipMode: tc.mode}
		if got := s.membershipMode(); got != tc.want {
			t.Errorf("%v at %d nodes runs %v, want %v", tc.mode, tc.nodes, got, tc.want)
		}
	}
}

// TestMembershipModeText: the modes' names, as in a config file and
// -membership.
func TestMembershipModeText(t *testing.T) {
	for _, m := range []MembershipMode{MembershipAuto, MembershipSwim, MembershipDirectory} {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back MembershipMode
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("%v → %q → %v, %v", m, b, back, err)
		}
	}
	if _, err := ParseMembershipMode("gossip"); err == nil {
		t.Error("ParseMembershipMode accepts gossip")
	}
	if _, err := MembershipMode(9).MarshalText(); err == nil {
		t.Error("mode 9 marshals")
	}
}

// TestDirDelays: the directory's delays against the membership
// parameters (LANParams): spread is ceil(log3 n) gossip rounds of 200 ms;
// detect adds a probe interval (500 ms), the failed probe (1.2 s) and the
// minimum suspicion (2 × log10 n × 500 ms).
func TestDirDelays(t *testing.T) {
	for _, tc := range []struct {
		n              int
		spread, detect time.Duration
	}{
		{2, 200 * time.Millisecond, 500*time.Millisecond + 1200*time.Millisecond + time.Second + 200*time.Millisecond},
		{9, 400 * time.Millisecond, 1700*time.Millisecond + time.Second + 400*time.Millisecond},
		{200, time.Second, 1700*time.Millisecond + 2301*time.Millisecond + time.Second}, // log10(200) = 2.301
		{1000, 1400 * time.Millisecond, 1700*time.Millisecond + 3*time.Second + 1400*time.Millisecond},
		{10000, 1800 * time.Millisecond, 1700*time.Millisecond + 4*time.Second + 1800*time.Millisecond},
	} {
		sc := Scenario{Nodes: tc.n}
		spread, detect := dirDelays(&sc, tc.n)
		if spread != tc.spread || (detect-tc.detect).Abs() > time.Millisecond {
			t.Errorf("n=%d: spread %v detect %v, want %v and %v", tc.n, spread, detect, tc.spread, tc.detect)
		}
	}
}

// inDirectory returns the named scenario at n nodes and msgs messages in
// directory mode.
func inDirectory(t *testing.T, name string, n, msgs int) Scenario {
	s := small(t, name, n, msgs)
	s.MembershipMode = MembershipDirectory
	return s
}

// TestDirectoryDelivers: a baseline run in directory mode delivers
// every message, says which mode ran, sends no membership payload and
// marks the membership figures as not applicable.
func TestDirectoryDelivers(t *testing.T) {
	t.Parallel()
	const seed = 1
	r := run(t, inDirectory(t, "baseline", 150, 60), seed)
	if r.DeliveryRatio != 1 {
		t.Errorf("seed %d: delivery %v, want 1", seed, r.DeliveryRatio)
	}
	if r.Membership != "directory" || r.MemberPackets != 0 || r.MemberBytesPerNodePerS != 0 {
		t.Errorf("seed %d: membership %q, %d member packets, %v B/node/s", seed, r.Membership, r.MemberPackets, r.MemberBytesPerNodePerS)
	}
	if r.ViewConvergeS != -1 || r.JoinKnownAllS != -1 || r.JoinsMeasured != -1 || r.DetectP50S != -1 || r.DetectMissed != -1 || r.MemberEvents != nil {
		t.Errorf("seed %d: membership figures not marked n/a: %+v", seed, r)
	}
	if r.Dials == 0 {
		t.Errorf("seed %d: no peer manager dialled", seed)
	}
	if sw := run(t, small(t, "baseline", 150, 60), seed); sw.Membership != "swim" {
		t.Errorf("seed %d: auto at 150 nodes ran %q", seed, sw.Membership)
	}
}

// TestDirectoryDeterminism: directory runs with the same seed give the
// same JSON, with churn, a crash and a partition too.
func TestDirectoryDeterminism(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"baseline", "churn", "crash", "partition", "sybil"} {
		t.Run(name, func(t *testing.T) {
			s := inDirectory(t, name, 40, 100)
			if s.Net.Partition.At > 0 {
				s.Traffic.Messages = 400 // publish through the split
			}
			const seed = 3
			a, b := canonical(t, run(t, s, seed)), canonical(t, run(t, s, seed))
			if !bytes.Equal(a, b) {
				t.Fatalf("seed %d: two runs differ:\n%s\n%s", seed, a, b)
			}
		})
	}
}

// runTo runs s's events up to virtual time at (inclusive), none later,
// and leaves the clock at at.
func runTo(t *testing.T, s *simulator, at time.Duration) {
	t.Helper()
	until(t, s, at)
	s.now = int64(at)
}

// holders returns how many live honest nodes hold d as a peer manager
// candidate (not as their seed, which a peer manager keeps) and how many
// are connected to it.
func holders(s *simulator, d *node) (cands, links int) {
	for i := range s.honest {
		n := s.nodes[i]
		if n == d || !n.online || n.pm == nil {
			continue
		}
		if _, src, ok := n.pm.Candidate(d.id); ok && src != peering.SourceSeed {
			cands++
		}
		if s.linked(n.idx, d.idx) {
			links++
		}
	}
	return cands, links
}

// TestDirectoryDepartures: a crashed node stays in the directory, a
// candidate and connected, until the detection delay has passed; a node
// that left stays a candidate until the gossip delay has passed; then
// every live node has forgotten it.
func TestDirectoryDepartures(t *testing.T) {
	t.Parallel()
	const seed = 1
	for _, tc := range []struct {
		name string
		// gone returns the departed node, the time it departed and the
		// delay after which it must be forgotten.
		setup func(t *testing.T) Scenario
		gone  func(s *simulator) (*node, time.Duration, time.Duration)
		// connected: the departed node keeps its connections until then
		// (a crash says no goodbye; a leave closes them at once).
		connected bool
	}{
		{
			name: "crash",
			setup: func(t *testing.T) Scenario {
				s := inDirectory(t, "crash", 60, 50)
				s.Net.Crash = Crash{At: 18 * time.Second, Fraction: 0.1}
				return s
			},
			gone: func(s *simulator) (*node, time.Duration, time.Duration) {
				return s.nodes[s.crashed[1]], 18 * time.Second, s.dir.detect
			},
			connected: true,
		},
		{
			name: "leave",
			setup: func(t *testing.T) Scenario {
				s := inDirectory(t, "churn", 60, 50)
				s.Net.Churn = Churn{Start: 18 * time.Second, Stop: 18*time.Second + 1, Interval: time.Second, Downtime: 30 * time.Second, Fraction: 0.02}
				return s
			},
			gone: func(s *simulator) (*node, time.Duration, time.Duration) {
				for i := range s.honest {
					if !s.nodes[i].online {
						return s.nodes[i], 18 * time.Second, s.dir.spread
					}
				}
				return nil, 0, 0
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := tc.setup(t)
			s, err := newSimulator(&sc, seed, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			runTo(t, s, 18*time.Second)
			d, at, delay := tc.gone(s)
			if d == nil || d.online {
				t.Fatalf("seed %d: no node departed at %v", seed, at)
			}
			runTo(t, s, at+delay-time.Millisecond)
			cands, links := holders(s, d)
			if s.dir.pos[d.idx] < 0 || cands == 0 || (tc.connected && links == 0) {
				t.Errorf("seed %d: %v before the delay %v: in directory %v, candidate at %d nodes, connected to %d",
					seed, tc.name, delay, s.dir.pos[d.idx] >= 0, cands, links)
			}
			runTo(t, s, at+delay)
			cands, links = holders(s, d)
			if s.dir.pos[d.idx] >= 0 || cands != 0 || links != 0 {
				t.Errorf("seed %d: %v after the delay %v: in directory %v, candidate at %d nodes, connected to %d",
					seed, tc.name, delay, s.dir.pos[d.idx] >= 0, cands, links)
			}
		})
	}
}

// TestDirectoryAllScenariosSmall: every named scenario runs in directory
// mode (stalls, cold boot, attack at dawn and the rest reach the
// directory's paths) without an invariant violation, and delivers.
func TestDirectoryAllScenariosSmall(t *testing.T) {
	t.Parallel()
	const seed = 7
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			s := smallTraffic(sc.WithNodes(20))
			s.MembershipMode = MembershipDirectory
			r := run(t, s, seed)
			if r.Membership != "directory" || r.Published < 60 || r.DeliveryRatio <= 0.5 {
				t.Errorf("seed %d: membership %s, published %d, delivery %v", seed, r.Membership, r.Published, r.DeliveryRatio)
			}
		})
	}
}
