package sim

import (
	"time"

	"github.com/gwyh/gwyh/router"
)

// DefaultNodes is the number of honest nodes of the named scenarios.
const DefaultNodes = 1000

// baseNetwork is the network of the named scenarios: links of 100 ms ±
// 50 ms one way, 50 Mbit/s of upload per node, 60 bytes of overhead per
// packet (IPv4 20 + UDP 8 + gwyh header 16 + AEAD tag 16), MTU 1400.
func baseNetwork() Network {
	return Network{
		Latency:   Latency{Base: 100 * time.Millisecond, Jitter: 50 * time.Millisecond},
		Bandwidth: 50_000_000,
		Overhead:  60,
		MTU:       1400,
	}
}

// base returns the baseline scenario that the others change: DefaultNodes
// honest nodes that come up over 10 s (a rolling start: 100 a second at
// 1,000 nodes), each knowing one seed (node 0), whose peer managers dial
// members toward 12 peers (node's PeersLow/PeersHigh, 12/48),
// membership.LANParams, 1,000 messages of 256 bytes at 50 msg/s from
// random publishers from 20 s, after the cluster and meshes formed,
// scoring on.
func base() Scenario {
	return Scenario{
		Name:     "baseline",
		Summary:  "honest nodes only, 100 ms ± 50 ms links: the reference for every attack",
		Nodes:    DefaultNodes,
		Net:      baseNetwork(),
		Topology: Topology{PeersLow: 12, PeersHigh: 48},
		Attack:   Attack{HonestSpread: startSpread},
		Traffic: Traffic{
			Messages: 1000, Size: 256, Rate: 50,
			Start: startSpread + 10*time.Second, Drain: 5 * time.Second,
		},
		Scoring: true,
	}
}

// startSpread is how long the honest nodes of the non-attack scenarios
// take to come up: every node joining one seed in the same instant makes
// the seed answer every join with its whole member list at once, which no
// deployment does and which says nothing about steady-state membership.
const startSpread = 10 * time.Second

// attackBase returns base with background traffic from 1 s and measured
// traffic from 30 s, for attacks where scores need time to learn. Attack
// scenarios script their dials (Topology.Degree, MixedDegree,
// AttackerDegree) as before the peer manager; it tops honest nodes up to
// PeersLow = Degree and trims only above 256 peers, so that the attack
// keeps its connection counts (≈ 100 sybils per honest node).
func attackBase(name, summary string) Scenario {
	s := base()
	s.Name, s.Summary = name, summary
	s.Topology = Topology{PeersLow: 8, PeersHigh: 256}
	s.Attack = Attack{}
	s.CompareScoring = true
	s.Traffic.WarmRate, s.Traffic.WarmStart = 20, time.Second
	s.Traffic.Start = 30 * time.Second
	return s
}

// Scenarios returns the named scenarios, in a fixed order. Each call
// returns fresh values the caller may change.
func Scenarios() []Scenario {
	baseline := base()

	zones := base()
	zones.Name, zones.Summary = "zones", "five cloud regions with realistic round-trip times between them"
	zones = zones.WithFiveRegions()

	churn := base()
	churn.Name, churn.Summary = "churn", "2% of honest nodes leave every second and come back 5 s later with a fresh router, rejoining through the seed"
	churn.Net.Churn = Churn{Start: startSpread + 10*time.Second, Stop: startSpread + 30*time.Second, Interval: time.Second, Downtime: 5 * time.Second, Fraction: 0.02}
	churn.Traffic.Drain = 10 * time.Second

	partition := base()
	partition.Name, partition.Summary = "partition", "the network splits in two halves at 21 s for 5 s, then heals through membership"
	partition.Net.Partition = Partition{At: startSpread + 11*time.Second, Heal: startSpread + 16*time.Second, Fraction: 0.5}

	sybil := attackBase("sybil", "at 10 s, 10 sybils per honest node join the formed network, graft and never forward; measured from 80 s; gossip to Dlazy peers only")
	sybil.Attack = Attack{Kind: AttackSybil, PerHonest: 10, Start: 10 * time.Second}
	// Each honest node gets ≈ 100 sybil connections (10 × 10) and dials 8
	// more peers from then on, mostly sybils; it keeps its 4 dials to
	// honest nodes (≈ 8 honest connections). GossipFactor 0 gossips to Dlazy peers only, so that gossip
	// alone (≈ 0.4 honest targets per heartbeat among ≈ 120 peers) cannot
	// hide what happens to the mesh.
	sybil.Topology = Topology{Degree: 4, MixedDegree: 8, AttackerDegree: 10, PeersLow: 4, PeersHigh: 256}
	sybil.Params = router.DefaultParams()
	sybil.Params.GossipFactor = 0
	// Measure once the PRUNE backoffs of the first oversubscription (at
	// ≈ 11 s, one minute) are over: until then honest nodes cannot
	// re-graft the honest peers they pruned, or that pruned them.
	sybil.Traffic.Start = 80 * time.Second

	eclipse := attackBase("eclipse", "sybils surround 1% of the honest nodes: every one dials every target, and targets discover only one honest node")
	eclipse.Attack = Attack{Kind: AttackEclipse, PerHonest: 0.05, Targets: DefaultNodes / 100}
	eclipse.Topology = Topology{Degree: 8, AttackerDegree: 2, PeersLow: 8, PeersHigh: 256}

	coldboot := attackBase("coldboot", "honest nodes join, one by one over 20 s, a network already full of sybils (10 per honest node)")
	coldboot.Attack = Attack{Kind: AttackSybil, PerHonest: 10, HonestStart: time.Second, HonestSpread: 20 * time.Second}
	coldboot.Topology, coldboot.Params = sybil.Topology, sybil.Params
	coldboot.Traffic.WarmStart = 2 * time.Second

	dawn := attackBase("attackatdawn", "sybils (10 per honest node) connect and graft before honest nodes connect to each other")
	dawn.Attack = Attack{Kind: AttackSybil, PerHonest: 10, HonestDialDelay: 3 * time.Second}
	dawn.Topology, dawn.Params = sybil.Topology, sybil.Params

	covert := attackBase("covertflash", "attackers (1 per 2 honest nodes) behave for 20 s (building score), then stop forwarding at once")
	covert.Attack = Attack{Kind: AttackCovertFlash, PerHonest: 0.5, FlashAt: 20 * time.Second}
	covert.Topology = Topology{Degree: 4, MixedDegree: 4, AttackerDegree: 4, PeersLow: 4, PeersHigh: 256}

	spam := attackBase("spam", "spammers (1 per 10 honest nodes) send each peer an invalid message every 200 ms")
	spam.Attack = Attack{Kind: AttackSpam, PerHonest: 0.1, SpamInterval: 200 * time.Millisecond}
	spam.Topology = Topology{Degree: 8, AttackerDegree: 8, PeersLow: 8, PeersHigh: 256}

	ihave := attackBase("ihavespam", "advertisers (1 per honest node) send 50 made-up ids in IHAVE each heartbeat, never answer IWANT, never forward")
	ihave.Attack = Attack{Kind: AttackIHave, PerHonest: 1, IHaveIDs: 50}
	ihave.Topology = Topology{Degree: 8, AttackerDegree: 4, PeersLow: 8, PeersHigh: 256}

	crash := base()
	crash.Name, crash.Summary = "crash", "at 30 s, 10% of honest nodes (the seed among them) die at once: detection time, false positives, delivery after"
	crash.Net.Crash = Crash{At: startSpread + 20*time.Second, Fraction: 0.1}
	crash.Traffic.Drain = 15 * time.Second

	lossy := base()
	lossy.Name, lossy.Summary = "lossy", "5% packet loss, and 0.5% of honest nodes stall for 1–2 s every second: no healthy node may be declared dead"
	lossy.Net.Loss = 0.05
	lossy.Net.Stalls = Stalls{Start: startSpread + 10*time.Second, Stop: startSpread + 30*time.Second, Interval: time.Second, Fraction: 0.005,
		Min: time.Second, Max: 2 * time.Second}

	return []Scenario{baseline, sybil, eclipse, coldboot, covert, dawn, spam, ihave, churn, partition, zones, crash, lossy}
}

// Lookup returns the named scenario, of Scenarios or PaperScenarios.
func Lookup(name string) (Scenario, bool) {
	for _, s := range append(Scenarios(), PaperScenarios()...) {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// WithNodes returns s resized to n honest nodes: eclipse targets scale
// with it (1%, at least 1; a single target stays single); fixed
// publishers keep their share (at least 1), and under
// AttackEclipsePublishers the targets are the publishers; attackers follow
// PerHonest.
func (s Scenario) WithNodes(n int) Scenario {
	old := s.Nodes
	s.Nodes = n
	if s.Attack.Kind == AttackEclipse && s.Attack.Targets != 1 {
		s.Attack.Targets = max(1, n/100)
	}
	if p := s.Traffic.Publishers; p > 0 && old > 0 {
		s.Traffic.Publishers = max(1, (p*n+old/2)/old)
	}
	if s.Attack.Kind == AttackEclipsePublishers {
		s.Attack.Targets = max(1, s.Traffic.Publishers)
	}
	return s
}

// WithFiveRegions returns s over five cloud regions (FiveRegionLinks)
// instead of its latency model (`gwyh sim -zones`): the attack scenarios
// then run with zones, e.g. with Attack.Near. Per-packet jitter, loss,
// bandwidth and the rest of the network stay.
func (s Scenario) WithFiveRegions() Scenario {
	pj := s.Net.Latency.PacketJitter
	s.Net.Latency = FiveRegionLinks()
	s.Net.Latency.PacketJitter = pj
	return s
}
