package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// Topic is the one topic every simulated node joins.
const Topic = "sim"

// Scenario is one named simulation: the network, who connects to whom,
// the attack, the traffic and the protocol settings. A Scenario is a plain
// value; Run reads it and never changes it. Scenarios() lists the named
// ones; copy one and change fields to explore.
type Scenario struct {
	// Name is the scenario's name for `gwyh sim -scenario`.
	Name string
	// Summary is one line saying what the scenario shows.
	Summary string
	// Nodes is the number of honest nodes (`gwyh sim -nodes`); attackers
	// come on top (Attack.PerHonest). ≥ 2.
	Nodes int
	// Net is the network model.
	Net Network
	// Topology says who dials whom.
	Topology Topology
	// Attack is the attack; the zero value is none.
	Attack Attack
	// Traffic is what is published, when.
	Traffic Traffic
	// Scoring turns peer scoring on at honest nodes (score.Scorer with
	// ScoreParams and Thresholds).
	Scoring bool
	// CompareScoring: the scenario is meant to be run with scoring on and
	// off side by side (the plot overlays both).
	CompareScoring bool
	// Sign turns StrictSign on (ed25519 signing and checking of every
	// message); false runs StrictNoSign, the default for speed.
	Sign bool
	// Params are the GossipSub parameters; the zero value (D == 0) means
	// router.DefaultParams().
	Params router.Params
	// Strategy is the mesh strategy of every honest node (`gwyh sim
	// -strategy`): it replaces Params.Strategy, and each honest node's
	// peer manager runs it too, in the node's zone, with
	// Params.RemoteMeshPeers and Params.RandomMeshShare. Attackers keep
	// their own behaviour (covert flash routers run Uniform). The zero
	// value is Uniform.
	Strategy mesh.Strategy
	// ScoreParams returns the score parameters for the topic; nil means
	// ScoreParams.
	ScoreParams func(topic string) score.Params
	// Thresholds; the zero value means score.DefaultThresholds().
	Thresholds score.Thresholds
	// SampleEvery is the period of metric samples (scores by class, mesh
	// degrees, invariants). Zero means 5 s.
	SampleEvery time.Duration
	// Membership are the SWIM/Lifeguard parameters every honest node's
	// membership.Membership runs with; the zero value (ProbeInterval == 0)
	// means membership.LANParams().
	Membership membership.Params
	// MembershipMode says how honest nodes learn of each other (`gwyh sim
	// -membership`): MembershipSwim runs membership.Membership at every
	// honest node (full views, as deployed); MembershipDirectory feeds
	// each peer manager a bounded random sample of a shared directory of
	// the live honest nodes, for runs too large for N full views (see
	// directory.go and README.md); the zero value, MembershipAuto, is swim
	// up to AutoDirectoryNodes honest nodes and directory above.
	MembershipMode MembershipMode
	// DirectorySample is how many members the directory offers each
	// peer manager in directory mode (and how many live nodes it offers
	// a joiner to). Zero means 32; ≥ 0. Unused in swim mode.
	DirectorySample int
	// Topics are the run's topics when it has more than one, or one not
	// named Topic. Empty (every named scenario) means one topic, Topic,
	// with Traffic and the topic parameters of ScoreParams. Otherwise
	// every honest node joins every topic, each topic publishes its own
	// Traffic (Scenario.Traffic is then unused and must be zero), planned
	// on its own and interleaved in time with the others, and the attack
	// targets Topics[0]. Result.Topics then has each topic's figures.
	Topics []TopicSpec
}

// TopicSpec is one topic of a run with several (Scenario.Topics).
type TopicSpec struct {
	// Name is the topic's name, unique within the run.
	Name string
	// Traffic is what is published in this topic.
	Traffic Traffic
	// Score is the topic's score parameters; nil means those
	// Scenario.ScoreParams (or ScoreParams) gives for the name (a topic
	// it gives none for is not scored). The global parameters (P5–P7,
	// decay, retention) are those it gives for Topics[0].
	Score *score.TopicParams
}

// Topology says who dials whom. Every honest node runs a peer manager
// (package peering) that knows one seed (node 0; node 1 for node 0) and
// dials members of its membership view while it has fewer than PeersLow
// peers, and trims above PeersHigh, as node does. Attack scenarios also
// script dials (Degree, MixedDegree, AttackerDegree). Every connection is
// seen by both routers (AddPeer, outbound at the dialer) and both peer
// managers (Connected).
type Topology struct {
	// PeersLow and PeersHigh are the peer manager's water marks
	// (node.Config.PeersLow/PeersHigh). Zero means node's defaults, 12
	// and 48.
	PeersLow, PeersHigh int
	// Degree: each honest node also dials this many random honest nodes
	// at join time, outside the peer manager (a scripted bootstrap list
	// that attackers cannot touch; attack scenarios only). Zero: none.
	Degree int
	// MixedDegree: each honest node also dials this many random nodes of
	// the whole population, attackers included — discovery that attackers
	// can pollute in proportion to their numbers.
	MixedDegree int
	// AttackerDegree: each attacker dials this many random honest nodes
	// (or eclipse targets).
	AttackerDegree int
	// Dials, when set, are scripted dials of honest nodes instead of the
	// Degree random ones: {a, b} makes honest node a dial honest node b
	// when a comes up (a dial of two nodes already connected adds
	// nothing). `gwyh sim calibrate` passes the real cluster's.
	Dials [][2]int
	// HeartbeatSpread: each honest router's heartbeat clock starts at a
	// random offset in [0, HeartbeatSpread) (seeded) before its start,
	// as routers of real nodes started one after the other have
	// heartbeats of different phases; zero: routers that start together
	// beat together. With phases that close, nodes graft each other in
	// the same heartbeat and meshes overshoot D.
	HeartbeatSpread time.Duration
	// Seedless: honest nodes know no seed; they join the membership
	// through their Degree dials only, as `gwyh bench` nodes do (its
	// cluster dials each node to Degree random others). False (every
	// named scenario): each peer manager knows node 0 and dials it.
	Seedless bool
}

// AttackKind names an attacker behaviour.
type AttackKind uint8

const (
	// AttackNone: honest nodes only.
	AttackNone AttackKind = iota
	// AttackSybil: attackers subscribe, GRAFT every honest peer (again
	// after each backoff) and never forward or gossip anything.
	AttackSybil
	// AttackSpam: sybils that also publish messages the honest validator
	// rejects, one per connected peer every SpamInterval.
	AttackSpam
	// AttackIHave: sybils that also advertise IHaveIDs made-up message ids
	// to every peer each heartbeat and never answer IWANT.
	AttackIHave
	// AttackCovertFlash: attackers run an honest Router until FlashAt,
	// then stop forwarding messages and gossip (they keep their meshes).
	AttackCovertFlash
	// AttackEclipse: sybils that all dial the Targets first honest nodes
	// (AttackerDegree each) to surround them.
	AttackEclipse
	// AttackCensor: attackers that run a Router, forward every message
	// (so their scores stay good) but censor one target (Targets, the
	// first honest node): each dials it (and AttackerDegree random honest
	// nodes), gets into its mesh, never sends it a message or IHAVE and
	// never forwards a message the target published. The GossipSub v1.1
	// evaluation's censor_single_node attack.
	AttackCensor
	// AttackDegrade: attackers that run a Router but forward only part of
	// the messages: each drops a Degrade share (0.5 by default) of the
	// messages it would send, chosen per message (and attacker) at
	// random, seeded. The evaluation's sybil_degrade attack.
	AttackDegrade
	// AttackEclipsePublishers: sybils that all dial every publisher (the
	// Targets first honest nodes, who alone publish) to surround them:
	// the evaluation's publishers_only eclipse.
	AttackEclipsePublishers
)

var attackNames = [...]string{"none", "sybil", "spam", "ihave", "covertflash", "eclipse", "censor", "degrade", "eclipsepublishers"}

// String returns the kind's name.
func (k AttackKind) String() string {
	if int(k) < len(attackNames) {
		return attackNames[k]
	}
	return "unknown"
}

// Attack describes the attackers of a run.
type Attack struct {
	Kind AttackKind
	// PerHonest is the number of attackers per honest node (attackers =
	// round(PerHonest × Nodes)), ≥ 0.
	PerHonest float64
	// Start is when the attackers connect (dial and GRAFT).
	Start time.Duration
	// HonestStart is when the honest nodes start joining, and
	// HonestSpread the span over which their joins are spread (zero: all
	// at HonestStart). Cold boot and attack at dawn start honest nodes
	// after the attackers.
	HonestStart, HonestSpread time.Duration
	// HonestDialDelay: honest nodes that start together come up at
	// HonestStart (attackers already up may dial them at once) but dial
	// each other only this much later (attack at dawn).
	HonestDialDelay time.Duration
	// SpamInterval: AttackSpam sends one invalid message to each peer per
	// interval. Zero means 1 s.
	SpamInterval time.Duration
	// IHaveIDs: AttackIHave advertises this many fake ids per IHAVE. Zero
	// means 50.
	IHaveIDs int
	// FlashAt: AttackCovertFlash attackers stop forwarding at this time.
	FlashAt time.Duration
	// Targets: AttackEclipse surrounds this many honest nodes (the first
	// ones), AttackEclipsePublishers as many publishers (the first ones,
	// the only honest nodes that publish), AttackCensor censors the first
	// (Targets is then 1). Zero means 1.
	Targets int
	// Degrade: the share of messages an AttackDegrade attacker does not
	// forward, in [0, 1]. Zero means 0.5.
	Degrade float64
	// IPs: the attackers share this many IP addresses (attacker k has
	// address k mod IPs), so that IP colocation scoring (P6) counts them;
	// zero means each attacker has its own, as every honest node does.
	// Peers' IPs reach the routers (router.PeerOptions.IP) when the score
	// parameters weigh P6 (IPColocationFactorWeight ≠ 0).
	IPs int
	// Near puts the attackers in their victims' own zone and makes them
	// answer fastest (`gwyh sim -attackers-near`): every link of an
	// attacker has a one-way delay of NearDelay whatever the latency
	// model says (below any honest link of the named scenarios), and with
	// Latency.Zones each attacker claims, and sits in, one zone and dials
	// (and is dialled by) honest nodes of that zone only: an eclipse
	// attacker the zone of a target (attacker k: target k mod Targets;
	// it dials the targets of its zone, so a target has the attackers of
	// its zone around it rather than all of them), the others spread over
	// the zones (attacker k: zone k mod zones), so that every zone has its
	// share. Honest nodes' MixedDegree dials still pick attackers of any
	// zone. Without Near, attacker node i sits in zone i mod zones and
	// dials honest nodes of any zone.
	Near bool
}

// NearDelay is the one-way delay of every attacker link under
// Attack.Near: half a millisecond, below the fastest honest link of the
// named scenarios (1 ms within a region of FiveRegionLinks, 50 ms in
// baseline), so that attackers are their victims' fastest peers.
const NearDelay = 500 * time.Microsecond

// Traffic says what is published in a topic.
type Traffic struct {
	// Publishers: the honest nodes that publish. Zero means any: each
	// message comes from an honest node picked at random (seeded) among
	// those online. n > 0 (≤ Nodes) means the first n honest nodes of a
	// shuffle seeded by the run's seed and the topic's index (eclipse
	// targets left out; under AttackEclipsePublishers the attacked
	// topic's are the targets), each message from one of them picked at
	// random; when that one is offline or stalled, the next one of the n
	// in the shuffled order that is not publishes it (none: an invariant
	// violation for a measured message; a background one comes from any
	// online honest node).
	Publishers int
	// Messages is the number of measured messages. ≥ 1.
	Messages int
	// Size is each message's data size in bytes, ≥ 32.
	Size int
	// Rate is measured messages per second, in total. > 0.
	Rate float64
	// Start is when the first measured message is published.
	Start time.Duration
	// WarmRate is the rate of unmeasured background messages published
	// from WarmStart until Start (so scores have something to learn
	// from); zero: none.
	WarmRate  float64
	WarmStart time.Duration
	// Drain is how long the run continues after the last publish. Zero
	// means 5 s.
	Drain time.Duration
}

// Validate reports every problem with s at once, each wrapping ErrConfig.
func (s *Scenario) Validate() error {
	var errs []error
	bad := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
		}
	}
	bad(s.Nodes >= 2, "Nodes %d < 2", s.Nodes)
	tp := s.Topology
	bad(tp.Degree >= 0 && tp.MixedDegree >= 0 && tp.AttackerDegree >= 0, "degrees must be ≥ 0")
	bad(tp.PeersLow >= 0 && (tp.PeersHigh == 0 || tp.PeersHigh >= max(tp.PeersLow, 1)),
		"Topology: want 0 ≤ PeersLow ≤ PeersHigh (PeersLow=%d PeersHigh=%d)", tp.PeersLow, tp.PeersHigh)
	if s.Membership.ProbeInterval != 0 {
		if err := s.Membership.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrConfig, err))
		}
	}
	bad(s.MembershipMode <= MembershipDirectory, "unknown MembershipMode %d", s.MembershipMode)
	bad(s.DirectorySample >= 0, "DirectorySample %d < 0", s.DirectorySample)
	for _, d := range tp.Dials {
		bad(d[0] >= 0 && d[0] < s.Nodes && d[1] >= 0 && d[1] < s.Nodes && d[0] != d[1], "Topology.Dials: %v: want two distinct honest nodes", d)
	}
	bad(s.Attack.PerHonest >= 0, "Attack.PerHonest %v < 0", s.Attack.PerHonest)
	bad(s.Attack.Kind == AttackNone || s.Topology.AttackerDegree > 0 || s.Attack.Kind == AttackCovertFlash,
		"attackers need Topology.AttackerDegree > 0")
	bad(s.Attack.Kind < AttackKind(len(attackNames)), "unknown Attack.Kind %d", s.Attack.Kind)
	bad(s.Attack.Degrade >= 0 && s.Attack.Degrade <= 1, "Attack.Degrade %v not in [0, 1]", s.Attack.Degrade)
	bad(s.Attack.IPs >= 0, "Attack.IPs %d < 0", s.Attack.IPs)
	if len(s.Topics) > 0 {
		bad(s.Traffic == Traffic{}, "Traffic must be zero with Topics (each topic has its own)")
		bad(len(s.Topics) <= maxTopics, "%d Topics > %d", len(s.Topics), maxTopics)
	}
	seen := make(map[string]bool)
	for _, tp := range s.topics() {
		bad(tp.Name != "", "a topic without a name")
		bad(!seen[tp.Name], "topic %q twice", tp.Name)
		seen[tp.Name] = true
		// A problem with the traffic names its topic when there are
		// several; a single topic's is just "Traffic".
		where := "Traffic"
		if len(s.Topics) > 0 {
			where = fmt.Sprintf("topic %q: Traffic", tp.Name)
		}
		t := tp.Traffic
		bad(t.Messages >= 1 && t.Size >= 32 && t.Rate > 0, "%s needs Messages ≥ 1, Size ≥ 32, Rate > 0", where)
		bad(t.WarmRate == 0 || t.WarmStart < t.Start, "%s.WarmStart %v ≥ Start %v", where, t.WarmStart, t.Start)
		bad(t.Publishers >= 0 && t.Publishers <= s.Nodes, "%s.Publishers %d not in [0, Nodes %d]", where, t.Publishers, s.Nodes)
	}
	bad(s.Attack.Kind != AttackCovertFlash || s.Attack.FlashAt > 0, "covert flash needs FlashAt > 0")
	bad(s.Attack.Kind != AttackNone || !s.Attack.Near, "Attack.Near without attackers")
	s.Net.validate(&errs)
	if s.Params.D != 0 || s.Strategy != mesh.Uniform {
		if err := s.params().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrConfig, err))
		}
	}
	return errors.Join(errs...)
}

// attackers returns the number of attacker nodes.
func (s *Scenario) attackers() int {
	if s.Attack.Kind == AttackNone {
		return 0
	}
	return int(s.Attack.PerHonest*float64(s.Nodes) + 0.5)
}

// params returns the GossipSub parameters of the honest nodes, with
// Strategy.
func (s *Scenario) params() router.Params {
	p := s.Params
	if p.D == 0 {
		p = router.DefaultParams()
	}
	p.Strategy = s.Strategy
	return p
}

// prefs returns the strategy of an honest node in zone, for its peer
// manager: the router's, as router.Params gives it.
func (s *Scenario) prefs(zone string) mesh.Prefs {
	p := s.params()
	return mesh.Prefs{Strategy: p.Strategy, Zone: zone, Remote: p.RemoteMeshPeers, RandomShare: p.RandomMeshShare}
}

// memberParams returns the membership parameters of the run.
func (s *Scenario) memberParams() membership.Params {
	if s.Membership.ProbeInterval == 0 {
		return membership.LANParams()
	}
	return s.Membership
}

// waterMarks returns the peer manager's Low and High.
func (t *Topology) waterMarks() (low, high int) {
	low, high = t.PeersLow, t.PeersHigh
	if low == 0 {
		low = 12
	}
	if high == 0 {
		high = max(48, low)
	}
	return low, high
}

// thresholds returns the score thresholds of the run.
func (s *Scenario) thresholds() score.Thresholds {
	if s.Thresholds == (score.Thresholds{}) {
		return score.DefaultThresholds()
	}
	return s.Thresholds
}

// maxTopics bounds Scenario.Topics (the metrics keep a message's topic
// in 16 bits).
const maxTopics = 1 << 16

// topics returns the run's topics: Topics, or Topic with Traffic.
func (s *Scenario) topics() []TopicSpec {
	if len(s.Topics) > 0 {
		return s.Topics
	}
	return []TopicSpec{{Name: Topic, Traffic: s.Traffic}}
}

// scoreParams returns the score parameters of the run: those
// Scenario.ScoreParams (or ScoreParams) gives for the first topic, with
// the topic parameters of every topic (TopicSpec.Score, or those the
// function gives for the topic's name; a topic it has none for is not
// scored).
func (s *Scenario) scoreParams() score.Params {
	fn := s.ScoreParams
	if fn == nil {
		fn = ScoreParams
	}
	ts := s.topics()
	p := fn(ts[0].Name)
	if len(s.Topics) == 0 {
		return p
	}
	m := make(map[string]*score.TopicParams, len(ts))
	for i, t := range ts {
		tp := t.Score
		if tp == nil && i == 0 {
			tp = p.Topics[t.Name]
		} else if tp == nil {
			tp = fn(t.Name).Topics[t.Name]
		}
		if tp != nil {
			m[t.Name] = tp
		}
	}
	p.Topics = m
	return p
}

// start returns when the first topic's measured traffic starts: the
// cluster is formed by then (invariants and steady-state figures count
// from it).
func (s *Scenario) start() time.Duration {
	ts := s.topics()
	st := ts[0].Traffic.Start
	for _, t := range ts[1:] {
		st = min(st, t.Traffic.Start)
	}
	return st
}

// end returns the end of the run: the last topic's last publish plus its
// drain.
func (s *Scenario) end() time.Duration {
	var e time.Duration
	for _, t := range s.topics() {
		e = max(e, t.Traffic.end())
	}
	return e
}

// ScoreParams returns the score parameters the named scenarios use:
// score.DefaultParams for the topic with three changes for the simulated
// topic (20–50 msg/s, runs of a minute or two): P3 activates after 10 s
// instead of 30 s; IP colocation (P6) is off since simulated nodes have no
// addresses; delivery records live 10 s instead of 2 min (copies of a
// message arrive within a second or two here, and 1,000 nodes × 2 min of
// records is most of a run's memory). See README.md for how to tune them.
func ScoreParams(topic string) score.Params {
	p := score.DefaultParams(topic)
	tp := *p.Topics[topic]
	tp.MeshMessageDeliveriesActivation = 10 * time.Second
	p.Topics = map[string]*score.TopicParams{topic: &tp}
	p.IPColocationFactorWeight = 0
	p.DeliveryRecordTTL = 10 * time.Second
	return p
}

// end returns the virtual time at which the last publish happens plus
// the drain.
func (t *Traffic) end() time.Duration {
	last := t.Start + time.Duration(float64(t.Messages-1)/t.Rate*float64(time.Second))
	d := t.Drain
	if d == 0 {
		d = 5 * time.Second
	}
	return last + d
}
