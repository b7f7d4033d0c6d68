package sim

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// The GossipSub v1.1 evaluation (Vyzovitis et al., arXiv 2007.02754, and
// its Evaluation Report PL-TechRep-2020-001) ran its attacks on Testground
// with the configurations published in libp2p/gossipsub-hardening
// (scripts/configs/1k*.json). The paper- scenarios are those
// configurations as simulator values; README.md ("The GossipSub v1.1
// evaluation's attacks") says what is scaled and why.

// PaperParams returns the evaluation's GossipSub parameters: D=8, Dlo=6,
// Dhi=12, Dscore=6, Dlazy=12, heartbeat 1 s, opportunistic grafting every
// 60 heartbeats, flood publishing on, and no choke extension (the
// evaluation ran GossipSub v1.1, and its 120 msgs/s of 2 KiB are over
// ChokeMinRate); the rest router.DefaultParams (Dout 2, as
// go-libp2p-pubsub's default, which the configs keep). gwyh sim -choke
// runs the presets with choke (paper-baseline at 1,000 nodes:
// duplicates 7.35 → 6.88 per message per node, p99 99.7 → 101.9 ms).
func PaperParams() router.Params {
	p := router.DefaultParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dlazy = 8, 6, 12, 6, 12
	p.HeartbeatInterval = time.Second
	p.OpportunisticGraftTicks = 60
	p.FloodPublish = true
	p.Choke = false
	return p
}

// PaperScoreParams returns the evaluation's score parameters for topic:
// topic weight 0.25; P1 weight 0.0027, quantum 1 s, cap 3600; P2 weight
// 0.664, decay 0.9916, cap 1500; P3 weight −0.25, decay 0.997, cap 400,
// threshold 10, activation 1 min, window 5 ms; P3b weight −0.25, decay
// 0.997; P4 weight −99, decay 0.9994; P6 off (weight 0, threshold 1; the
// colocation row sets weight −10); P7 off (the configs set none); decay
// every 1 s to zero below 0.01; scores retained 30 s. Delivery records
// live 10 s, as in ScoreParams (copies arrive within a second here).
func PaperScoreParams(topic string) score.Params {
	tp := &score.TopicParams{
		TopicWeight:                     0.25,
		TimeInMeshWeight:                0.0027,
		TimeInMeshQuantum:               time.Second,
		TimeInMeshCap:                   3600,
		FirstMessageDeliveriesWeight:    0.664,
		FirstMessageDeliveriesDecay:     0.9916,
		FirstMessageDeliveriesCap:       1500,
		MeshMessageDeliveriesWeight:     -0.25,
		MeshMessageDeliveriesDecay:      0.997,
		MeshMessageDeliveriesCap:        400,
		MeshMessageDeliveriesThreshold:  10,
		MeshMessageDeliveriesWindow:     5 * time.Millisecond,
		MeshMessageDeliveriesActivation: time.Minute,
		MeshFailurePenaltyWeight:        -0.25,
		MeshFailurePenaltyDecay:         0.997,
		InvalidMessageDeliveriesWeight:  -99,
		InvalidMessageDeliveriesDecay:   0.9994,
	}
	return score.Params{
		Topics:                      map[string]*score.TopicParams{topic: tp},
		IPColocationFactorWeight:    0,
		IPColocationFactorThreshold: 1,
		BehaviourPenaltyDecay:       0.99,
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 30 * time.Second,
		DeliveryRecordTTL:           10 * time.Second,
		MaxDeliveryRecords:          score.DefaultMaxDeliveryRecords,
	}
}

// PaperThresholds returns the evaluation's thresholds: gossip −4000,
// publish −5000, graylist −10000, accept PX 0, opportunistic graft 0.
func PaperThresholds() score.Thresholds {
	return score.Thresholds{GossipThreshold: -4000, PublishThreshold: -5000, GraylistThreshold: -10000}
}

// PaperNodes, PaperPublishers: the evaluation's 1,000 honest nodes, of
// which 100 publish.
const (
	PaperNodes      = 1000
	PaperPublishers = 100
)

// paperAttackAt is when the attackers of the paper's "connect at 1 min"
// rows connect: the configs' minute scaled to 20 s (the honest nodes have
// joined and formed their meshes by 6 s).
const paperAttackAt = 20 * time.Second

// paperBase returns the evaluation's baseline (1k.json) as a Scenario:
// 1,000 honest nodes joining over 5 s, each dialling 10 random honest
// nodes (≈ 20 connections each, the configs' connection degree; the peer
// manager keeps ≥ 10 and trims above 1,024, beyond any attack's count),
// links of 25 ms ± 10%, 10 Gbit/s uplinks (bandwidth_mb 10240); one
// topic of 120 msg/s of 2 KiB from 100 publishers: background traffic at
// 20 msg/s from 2 s so that scores learn, then 600 measured messages
// (5 s) from 90 s, once the attacks of 20 s are past P3's one-minute
// activation and the minute of PRUNE backoff; the paper's router and
// score parameters, scoring on.
func paperBase(name, summary string) Scenario {
	return Scenario{
		Name:    name,
		Summary: summary,
		Nodes:   PaperNodes,
		Net: Network{
			Latency:   Latency{Base: 25 * time.Millisecond, Jitter: 2500 * time.Microsecond},
			Bandwidth: 10_240_000_000,
			Overhead:  60,
			MTU:       1400,
		},
		Topology: Topology{Degree: 10, PeersLow: 10, PeersHigh: 1024},
		Attack:   Attack{HonestSpread: 5 * time.Second},
		Traffic: Traffic{
			Publishers: PaperPublishers,
			Messages:   600, Size: 2048, Rate: 120,
			Start:    90 * time.Second,
			WarmRate: 20, WarmStart: 2 * time.Second,
			Drain: 5 * time.Second,
		},
		Scoring:        true,
		CompareScoring: true,
		Params:         PaperParams(),
		ScoreParams:    PaperScoreParams,
		Thresholds:     PaperThresholds(),
	}
}

// withOG returns s with the opportunistic grafting of the configs'
// -oppgraft variants (every ticks heartbeats, threshold th) or, with
// ticks 0, with opportunistic grafting off (OpportunisticGraftPeers 0).
func withOG(s Scenario, ticks int, th float64) Scenario {
	if ticks == 0 {
		s.Params.OpportunisticGraftPeers = 0
		return s
	}
	s.Params.OpportunisticGraftTicks, s.Params.OpportunisticGraftPeers = ticks, 2
	s.Thresholds.OpportunisticGraftThreshold = th
	return s
}

// ogPair returns s with opportunistic grafting off, and its "-og" row:
// grafting every 10 heartbeats at threshold th; config names the
// evaluation's config of that row ("" when it has none).
func ogPair(s Scenario, th float64, config string) (off, on Scenario) {
	off = withOG(s, 0, 0)
	on = withOG(off, 10, th)
	on.Name = s.Name + "-og"
	on.Summary = fmt.Sprintf("%s with opportunistic grafting every 10 heartbeats, threshold %g", s.Name, th)
	if config != "" {
		on.Summary += " (" + config + ")"
	}
	return off, on
}

// PaperScenarios returns the evaluation's rows, in the report's order
// (`gwyh sim -table -preset paper` runs them all). Each call returns
// fresh values.
func PaperScenarios() []Scenario {
	baseline := paperBase("paper-baseline", "GossipSub v1.1 evaluation baseline (1k.json): 1,000 honest nodes, 100 publishers, 120 msg/s of 2 KiB, 25 ms links")

	target := paperBase("paper-eclipse-target", "evaluation: 1,000 sybils (1 per honest node) all dial one target at 20 s (eclipse-single)")
	target.Attack = Attack{Kind: AttackEclipse, PerHonest: 1, Targets: 1, Start: paperAttackAt, HonestSpread: 5 * time.Second}
	target.Topology.AttackerDegree = 1

	censor := paperBase("paper-censor", "evaluation: 2,000 attackers (100 connections each) at 20 s forward everything but censor one target (censor-single)")
	censor.Attack = Attack{Kind: AttackCensor, PerHonest: 2, Targets: 1, Start: paperAttackAt, HonestSpread: 5 * time.Second}
	censor.Topology.AttackerDegree = 100

	degrade := paperBase("paper-degrade", "evaluation: 2,000 attackers (100 connections each) at 20 s forward only half the messages (degrade-0.5)")
	degrade.Attack = Attack{Kind: AttackDegrade, PerHonest: 2, Degrade: 0.5, Start: paperAttackAt, HonestSpread: 5 * time.Second}
	degrade.Topology.AttackerDegree = 100

	pubs := paperBase("paper-eclipse-publishers", "evaluation: 1,000 sybils at 20 s each dial all 100 publishers (eclipse-publishers)")
	pubs.Attack = Attack{Kind: AttackEclipsePublishers, PerHonest: 1, Targets: PaperPublishers, Start: paperAttackAt, HonestSpread: 5 * time.Second}
	pubs.Topology.AttackerDegree = 1

	net := paperBase("paper-eclipse-network", "evaluation: 4,000 sybils with 100 connections each join at 20 s (eclipse-net)")
	net.Attack = Attack{Kind: AttackSybil, PerHonest: 4, Start: paperAttackAt, HonestSpread: 5 * time.Second}
	net.Topology.AttackerDegree = 100

	// Cold boot: the sybils are up when the honest nodes join (from 1 s),
	// 20 connections each.
	cold := paperBase("paper-coldboot", "evaluation: honest nodes join a network of 4,000 sybils (20 connections each), opportunistic grafting off (cold-boot)")
	cold.Attack = Attack{Kind: AttackSybil, PerHonest: 4, HonestStart: time.Second, HonestSpread: 5 * time.Second}
	cold.Topology.AttackerDegree = 20
	cold, coldOG := ogPair(cold, 1, "cold-boot-oppgraft")

	coloc := paperBase("paper-colocation", "evaluation: cold boot among 4,000 sybils on 25 IP addresses, P6 weight −10 (colocation)")
	coloc.Attack = cold.Attack
	coloc.Attack.IPs = 25
	coloc.Topology.AttackerDegree = 20
	coloc.ScoreParams = func(topic string) score.Params {
		p := PaperScoreParams(topic)
		p.IPColocationFactorWeight = -10
		return p
	}

	// Covert flash: the attackers (routers) join with the honest nodes,
	// behave for 40 s (the configs' 2 min of a 5 min run, scaled), then
	// stop forwarding.
	covert := paperBase("paper-covertflash", "evaluation: 4,000 attackers join with the honest nodes, behave until 40 s, then stop forwarding; opportunistic grafting off (cold-boot-covert-flash)")
	covert.Attack = Attack{Kind: AttackCovertFlash, PerHonest: 4, FlashAt: 40 * time.Second, HonestStart: time.Second, HonestSpread: 5 * time.Second}
	covert.Topology.AttackerDegree = 20
	covert, covertOG := ogPair(covert, 10, "")

	// Attack at dawn: sybils up at 0, honest nodes up at 1 s but dialling
	// each other only 10 s later.
	dawn := paperBase("paper-dawn", "evaluation: 4,000 sybils connect and graft 10 s before honest nodes dial each other; opportunistic grafting off (dawn)")
	dawn.Attack = Attack{Kind: AttackSybil, PerHonest: 4, HonestStart: time.Second, HonestDialDelay: 10 * time.Second}
	dawn.Topology.AttackerDegree = 20
	dawn, dawnOG := ogPair(dawn, 10, "dawn-oppgraft")

	return []Scenario{baseline, target, censor, degrade, pubs, net, coloc, cold, coldOG, covert, covertOG, dawn, dawnOG}
}
