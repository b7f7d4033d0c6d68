package sim

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/router"
)

// Result is what one run measured. Its JSON form (encoding/json) is the
// one object `gwyh sim -json` prints (docs/BENCH.md §3); every field is
// a pure function of the scenario and seed except WallS and PeakRSSMB.
// Latencies are virtual milliseconds from publish to first delivery;
// "per node" means per honest node.
type Result struct {
	Scenario  string `json:"scenario"`
	Nodes     int    `json:"nodes"`     // honest nodes
	Attackers int    `json:"attackers"` // attacker nodes on top
	Attack    string `json:"attack"`
	Seed      uint64 `json:"seed"`
	Scoring   bool   `json:"scoring"`
	Sign      bool   `json:"sign"`
	// Strategy is the honest nodes' mesh strategy (Scenario.Strategy).
	Strategy mesh.Strategy `json:"strategy"`
	// Membership is the membership mode that ran (Scenario.MembershipMode
	// resolved): "swim" or "directory". In directory mode the membership
	// figures below (detection, convergence, joins, member events) do not
	// apply: -1, or null for member_events; member bytes and packets are
	// 0 (nothing is sent).
	Membership string `json:"membership"`
	// AttackersNear: the attackers sat in their victims' zone and
	// answered fastest (Attack.Near).
	AttackersNear bool `json:"attackers_near"`
	// Messages is the number of measured messages (of every topic);
	// Published counts the background (warm-up) ones too.
	Messages  int `json:"messages"`
	Published int `json:"published"`

	// DeliveryRatio: deliveries of measured messages at honest nodes over
	// the expected ones (honest nodes online at publish, publisher aside).
	DeliveryRatio float64 `json:"delivery_ratio"`
	// TargetDeliveryRatio: the same at the attack's targets only (eclipse
	// targets, the censored node, the eclipsed publishers; -1 when the
	// scenario has none).
	TargetDeliveryRatio float64 `json:"target_delivery_ratio"`
	LatP50Ms            float64 `json:"lat_p50_ms"`
	LatP90Ms            float64 `json:"lat_p90_ms"`
	LatP99Ms            float64 `json:"lat_p99_ms"`
	LatMaxMs            float64 `json:"lat_max_ms"`
	// DupPerMsgPerNode: copies received after the first, summed over
	// honest nodes, over published messages × honest nodes.
	DupPerMsgPerNode float64 `json:"dup_per_msg_per_node"`
	// BytesPerMsgPerNode: bytes honest nodes put on the wire (payloads
	// plus Network.Overhead per packet, and Network.Control's packets)
	// over published messages × honest nodes, for the whole run.
	BytesPerMsgPerNode float64 `json:"bytes_per_msg_per_node"`
	// ControlShare: the share of those bytes that are not message fields
	// (control, gossip, subscriptions, framing and overhead).
	ControlShare float64 `json:"control_share"`
	// CrossZoneBytesPerMsgPerNode: the part of BytesPerMsgPerNode sent
	// to a node of another zone (router payloads and their overhead; the
	// same denominator). Zero when every node shares a zone.
	CrossZoneBytesPerMsgPerNode float64 `json:"cross_zone_bytes_per_msg_per_node"`
	// CrossZoneMemberBytesPerNodePerS: the part of
	// MemberBytesPerNodePerS sent to a node of another zone.
	CrossZoneMemberBytesPerNodePerS float64 `json:"cross_zone_member_bytes_per_node_per_s"`
	// ZoneLatency: latency of measured messages by publisher's and
	// receiver's zone; nil without Latency.Zones.
	ZoneLatency *ZoneLatency `json:"zone_latency,omitempty"`
	// RecoveryMs: from the disruption (attack start, flash, partition or
	// churn start) to the end of the last one-second bucket of published
	// messages whose delivery ratio is below 0.99; 0 when no bucket after
	// the disruption is, -1 when the run ends below 0.99 or there is no
	// disruption.
	RecoveryMs float64 `json:"recovery_ms"`
	// MeshDegreeHist[d] is the number of online honest nodes whose mesh
	// (of the first topic, the attacked one) has d peers at the end of
	// the run.
	MeshDegreeHist []int `json:"mesh_degree_hist"`
	// Topics: the figures of each topic, in Scenario.Topics order, in
	// runs with several topics (the figures above are over all of them);
	// nil with one.
	Topics []TopicResult `json:"topics,omitempty"`
	// HopHist[h] is the number of deliveries of measured messages at
	// honest nodes whose first copy travelled h hops: hop(publisher) = 0,
	// and a node's is one more than that of the peer its first copy came
	// from (Delivery.ReceivedFrom). Deliveries whose first copy came from
	// an attacker, or from a node whose own count is unknown, are left
	// out. `gwyh bench` measures the same on a real cluster (`gwyh sim
	// calibrate`).
	HopHist []int64 `json:"hop_hist"`
	// WindowBytesPerMsgPerNode: bytes honest nodes put on the wire,
	// router and membership payloads with their per-packet overhead and
	// Network.Control's packets, from the first measured publish to the end of the run, over
	// measured messages × honest nodes: what a real cluster's transport
	// counts over the same window (`gwyh sim calibrate`).
	WindowBytesPerMsgPerNode float64 `json:"window_bytes_per_msg_per_node"`
	// DeliveryOverTime: delivery ratio of the messages published in each
	// one-second bucket (background messages included).
	DeliveryOverTime []Bucket `json:"delivery_over_time"`
	// Scores by node class over time (mean score honest nodes give their
	// honest and attacker peers), and the attackers' mesh share.
	Scores []ScoreSample `json:"scores"`

	// What scoring costs (filled when scoring is on; 0 otherwise), from
	// a check of every (online honest node, connected peer) score against
	// the run's thresholds (Scenario.Thresholds) every second (every
	// SampleEvery when that is shorter), the resolution of the times
	// below. See README.md, "What scoring costs".
	//
	// ScoreFP*: false positives, the share of (honest node, connected
	// honest peer) pairs whose score is below the gossip, publish or
	// graylist threshold, averaged over the checks from Traffic.Start
	// (the earliest topic's with several) to the end. ScoreFN*: false negatives, the share of (honest node,
	// connected attacker) pairs at or above the threshold, averaged over
	// the checks from Attack.Start to the end (0 without attackers). A
	// check without such pairs counts as 0.
	ScoreFPGossip   float64 `json:"score_fp_gossip"`
	ScoreFPPublish  float64 `json:"score_fp_publish"`
	ScoreFPGraylist float64 `json:"score_fp_graylist"`
	ScoreFNGossip   float64 `json:"score_fn_gossip"`
	ScoreFNPublish  float64 `json:"score_fn_publish"`
	ScoreFNGraylist float64 `json:"score_fn_graylist"`
	// ScoreFPPeers*: the share of honest nodes that at least one honest
	// node put below the threshold at some check from Traffic.Start on
	// (how widely the false positives spread, where ScoreFP* is how
	// often).
	ScoreFPPeersGossip   float64 `json:"score_fp_peers_gossip"`
	ScoreFPPeersPublish  float64 `json:"score_fp_peers_publish"`
	ScoreFPPeersGraylist float64 `json:"score_fp_peers_graylist"`
	// ScoreFNSeconds*: the attackers' mean virtual seconds at or above
	// the threshold from Attack.Start to the end: per attacker, the sum
	// over checks of the check period times the share of its honest
	// connections that score it so (0 while it has none); averaged over
	// attackers. Compare with VirtualS minus Attack.Start.
	ScoreFNSecondsGossip   float64 `json:"score_fn_seconds_gossip"`
	ScoreFNSecondsPublish  float64 `json:"score_fn_seconds_publish"`
	ScoreFNSecondsGraylist float64 `json:"score_fn_seconds_graylist"`

	// Membership and the peer manager (honest nodes). Times are virtual
	// seconds; -1 means "does not apply" or "never happened".
	//
	// DetectP50S … DetectLastS: for each (crashed node, live node) pair,
	// the time from the crash to the live node's membership learning the
	// death; quantiles over the pairs, first and last. DetectMissed
	// counts pairs never learnt by the end of the run although the live
	// node held the crashed one as up at the crash; DetectUnknown the
	// pairs where it did not know the crashed node at all (a view still
	// incomplete when the crash came; nothing to learn).
	DetectP50S    float64 `json:"detect_p50_s"`
	DetectP99S    float64 `json:"detect_p99_s"`
	DetectFirstS  float64 `json:"detect_first_s"`
	DetectLastS   float64 `json:"detect_last_s"`
	DetectMissed  int     `json:"detect_missed"`
	DetectUnknown int     `json:"detect_unknown"`
	Crashed       int     `json:"crashed"`
	// FalsePositives: "dead" declarations (membership EventDead at any
	// honest node) of an honest node that was online at that instant
	// (stalled nodes are healthy), except, with a partition, declarations
	// across the split until the longest suspicion timeout (plus three
	// probe intervals) after it heals: those are the partition's.
	FalsePositives   uint64   `json:"false_positives"`
	FalsePositiveLog []string `json:"false_positive_log,omitempty"`
	// MemberBytesPerNodePerS: membership bytes honest nodes sent
	// (payloads plus Network.Overhead per packet) per honest node per
	// virtual second, from Traffic.Start (the cluster formed) to the end;
	// MemberBytesPerNodePerSAll the same over the whole run, the initial
	// join storm included.
	MemberBytesPerNodePerS    float64 `json:"member_bytes_per_node_per_s"`
	MemberBytesPerNodePerSAll float64 `json:"member_bytes_per_node_per_s_all"`
	// ViewConvergeS: from the last change of the live set (the start, a
	// join, a leave, the crash, a partition's heal) to the first check
	// (every 100 ms) at which every live honest node's view lists exactly
	// the live honest nodes as alive.
	ViewConvergeS float64 `json:"view_converge_s"`
	// JoinKnownAllS: the slowest join (a node coming up after the
	// initial start, e.g. a churned node rejoining) until every live node
	// holds it alive at its current incarnation; JoinsMeasured such joins,
	// JoinsUnknown still not known to all at the end.
	JoinKnownAllS float64 `json:"join_known_all_s"`
	JoinsMeasured int     `json:"joins_measured"`
	JoinsUnknown  int     `json:"joins_unknown"`
	// DeliveryBeforeCrash, DeliveryAfterCrash: delivery_ratio of the
	// measured messages published before / after the crash (-1 without).
	DeliveryBeforeCrash float64           `json:"delivery_before_crash"`
	DeliveryAfterCrash  float64           `json:"delivery_after_crash"`
	MemberEvents        map[string]uint64 `json:"member_events"`
	MemberSuspicions    uint64            `json:"member_suspicions"`
	MemberRefutations   uint64            `json:"member_refutations"`
	MemberDeaths        uint64            `json:"member_deaths_declared"`
	MemberPackets       uint64            `json:"member_packets"`
	MemberDropsNet      uint64            `json:"member_drops_net"`
	MemberDropsOffline  uint64            `json:"member_drops_offline"`
	Dials               uint64            `json:"dials"`
	DialFailures        uint64            `json:"dial_failures"`
	ConnRefused         uint64            `json:"conn_refused"`
	PeerDisconnects     uint64            `json:"peer_disconnects"`
	Stalls              uint64            `json:"stalls"`
	StallDrops          uint64            `json:"stall_drops"`

	Packets        uint64            `json:"packets"`
	AttackerBytes  uint64            `json:"attacker_bytes"`
	DropsLoss      uint64            `json:"drops_loss"`
	DropsPartition uint64            `json:"drops_partition"`
	DropsOffline   uint64            `json:"drops_offline"`
	RouterDrops    map[string]uint64 `json:"router_drops"`
	RouterEvents   map[string]uint64 `json:"router_events"`
	SpamSent       uint64            `json:"spam_sent"`
	// RouterErrors counts payloads honest routers refused (HandlePayload
	// errors: graylisted sender, malformed payload).
	RouterErrors uint64   `json:"router_errors"`
	Violations   int      `json:"invariant_violations"`
	ViolationLog []string `json:"violation_log,omitempty"`
	VirtualS     float64  `json:"virtual_s"`
	WallS        float64  `json:"wall_s"`
	PeakRSSMB    float64  `json:"peak_rss_mb"`
	latencies    []int32  // sorted, µs (for plots)
}

// TopicResult is what a run with several topics measured in one of them;
// the fields mean what Result's of the same names mean, over this
// topic's messages.
type TopicResult struct {
	Name string `json:"name"`
	// Messages: measured messages; Published counts the background ones
	// too.
	Messages      int     `json:"messages"`
	Published     int     `json:"published"`
	DeliveryRatio float64 `json:"delivery_ratio"`
	LatP50Ms      float64 `json:"lat_p50_ms"`
	LatP99Ms      float64 `json:"lat_p99_ms"`
	// DupPerMsgPerNode: duplicates of this topic's messages at honest
	// nodes over its published messages × honest nodes.
	DupPerMsgPerNode float64 `json:"dup_per_msg_per_node"`
	// MsgBytesPerMsgPerNode: bytes of this topic's message fields (the
	// messages themselves, not control, gossip, framing or overhead)
	// honest nodes sent, over its published messages × honest nodes.
	MsgBytesPerMsgPerNode float64 `json:"msg_bytes_per_msg_per_node"`
	// MeshDegreeHist: as Result.MeshDegreeHist, in this topic.
	MeshDegreeHist []int `json:"mesh_degree_hist"`
}

// ZoneLatency is the latency of measured messages (publish to first
// delivery, virtual ms) by zone pair: [i][j] is from a publisher in
// Zones[i] to a receiver in Zones[j].
type ZoneLatency struct {
	// Zones are the zones that have honest nodes, in Latency.Zones order.
	Zones []string `json:"zones"`
	// P50Ms and P99Ms are the quantiles per pair; -1 for a pair without
	// deliveries.
	P50Ms [][]float64 `json:"p50_ms"`
	P99Ms [][]float64 `json:"p99_ms"`
	// Deliveries counts the deliveries of each pair.
	Deliveries [][]int `json:"deliveries"`
}

// Bucket is the delivery ratio of the messages published in one second.
type Bucket struct {
	TS    float64 `json:"t_s"`
	Ratio float64 `json:"ratio"`
}

// ScoreSample is one sample of scores by class.
type ScoreSample struct {
	TS                float64 `json:"t_s"`
	Honest            float64 `json:"honest"`
	Attacker          float64 `json:"attacker"`
	MeshAttackerShare float64 `json:"mesh_attacker_share"`
	// FP* and FN* are the shares behind Result.ScoreFP* and ScoreFN* at
	// this instant: (honest node, connected honest peer) pairs below the
	// threshold, (honest node, connected attacker) pairs at or above it;
	// 0 without scoring or without such pairs.
	FPGossip   float64 `json:"fp_gossip"`
	FPPublish  float64 `json:"fp_publish"`
	FPGraylist float64 `json:"fp_graylist"`
	FNGossip   float64 `json:"fn_gossip"`
	FNPublish  float64 `json:"fn_publish"`
	FNGraylist float64 `json:"fn_graylist"`
}

// LatencyCDF returns the sorted delivery latencies of measured messages in
// virtual milliseconds (a fresh slice).
func (r *Result) LatencyCDF() []float64 {
	out := make([]float64, len(r.latencies))
	for i, v := range r.latencies {
		out[i] = float64(v) / 1000
	}
	return out
}

// result assembles the Result at the end of the run.
func (s *simulator) result() *Result {
	m := s.m
	for i := range s.honest {
		m.addRouterStats(s.nodes[i])
	}
	sc := s.sc
	r := &Result{
		Scenario: sc.Name, Nodes: s.honest, Attackers: len(s.nodes) - s.honest,
		Attack: sc.Attack.Kind.String(), Seed: s.seed, Scoring: sc.Scoring, Sign: sc.Sign,
		Strategy: sc.Strategy, AttackersNear: sc.Attack.Near,
		Published:           m.published,
		TargetDeliveryRatio: -1,
		Packets:             m.packets, AttackerBytes: m.attackerWire,
		DropsLoss: m.dropLoss, DropsPartition: m.dropPartition, DropsOffline: m.dropOffline,
		SpamSent: m.spamSent, RouterErrors: m.routerErrors, Violations: m.violations, ViolationLog: m.violationLog,
		VirtualS: float64(s.now) / 1e9, Scores: m.scores,
		MeshDegreeHist: m.meshHistogram(s.topics[0].Name),
	}
	for _, t := range s.topics {
		r.Messages += t.Traffic.Messages
	}
	var exp, got, expT, gotT int64
	for _, mi := range m.msgs {
		if mi.measured && mi.pub >= 0 {
			exp, got = exp+int64(mi.expected), got+int64(mi.got)
			expT, gotT = expT+int64(mi.targets), gotT+int64(mi.gotT)
		}
	}
	r.DeliveryRatio = ratio(got, exp)
	if sc.Attack.hasTargets() {
		r.TargetDeliveryRatio = ratio(gotT, expT)
	}
	slices.Sort(m.lat)
	r.latencies = m.lat
	r.LatP50Ms, r.LatP90Ms = pct(m.lat, 0.50), pct(m.lat, 0.90)
	r.LatP99Ms, r.LatMaxMs = pct(m.lat, 0.99), pct(m.lat, 1)
	denom := float64(max(m.published, 1)) * float64(s.honest)
	r.DupPerMsgPerNode = round4(float64(m.dups) / denom)
	r.BytesPerMsgPerNode = round4(float64(m.wire) / denom)
	r.CrossZoneBytesPerMsgPerNode = round4(float64(m.crossWire) / denom)
	r.HopHist = m.hopHist
	if m.started {
		r.WindowBytesPerMsgPerNode = round4(float64(m.wire-m.wireAtStart+s.mm.wireSteady) /
			(float64(r.Messages) * float64(s.honest)))
	}
	r.ZoneLatency = m.zoneLatency()
	if m.wire > 0 {
		r.ControlShare = round4(1 - float64(m.msgWire)/float64(m.wire))
	}
	r.RouterDrops = map[string]uint64{}
	for i, d := range m.drops {
		if d > 0 {
			r.RouterDrops[router.DropCause(i).String()] = d
		}
	}
	r.RouterEvents = map[string]uint64{}
	for i, c := range m.events {
		if c > 0 {
			r.RouterEvents[router.EventKind(i).String()] = c
		}
	}
	r.Topics = s.topicResults()
	r.DeliveryOverTime = m.buckets()
	r.RecoveryMs = recovery(r.DeliveryOverTime, s.disruption())
	s.mm.fill(r)
	if m.cost != nil {
		m.cost.fill(r)
	}
	return r
}

// topicResults returns the per-topic figures of a run with several
// topics (nil with one).
func (s *simulator) topicResults() []TopicResult {
	m := s.m
	if m.topicLat == nil {
		return nil
	}
	out := make([]TopicResult, len(s.topics))
	exp, got := make([]int64, len(s.topics)), make([]int64, len(s.topics))
	for _, mi := range m.msgs {
		if mi.pub < 0 {
			continue
		}
		out[mi.topic].Published++
		if mi.measured {
			exp[mi.topic] += int64(mi.expected)
			got[mi.topic] += int64(mi.got)
		}
	}
	for i, t := range s.topics {
		tr := &out[i]
		tr.Name, tr.Messages = t.Name, t.Traffic.Messages
		tr.DeliveryRatio = ratio(got[i], exp[i])
		lat := m.topicLat[i]
		slices.Sort(lat)
		tr.LatP50Ms, tr.LatP99Ms = pct(lat, 0.50), pct(lat, 0.99)
		denom := float64(max(tr.Published, 1)) * float64(s.honest)
		tr.DupPerMsgPerNode = round4(float64(m.topicDups[i]) / denom)
		tr.MsgBytesPerMsgPerNode = round4(float64(m.topicWire[i]) / denom)
		tr.MeshDegreeHist = m.meshHistogram(t.Name)
	}
	return out
}

// zoneLatency returns the latency matrix of the zones with honest nodes;
// nil without Latency.Zones.
func (m *metrics) zoneLatency() *ZoneLatency {
	if m.zoneLat == nil {
		return nil
	}
	var present []int32
	for z := range m.zones {
		for i := range m.s.honest {
			if m.s.nodes[i].zone == z {
				present = append(present, z)
				break
			}
		}
	}
	zl := &ZoneLatency{}
	for _, from := range present {
		zl.Zones = append(zl.Zones, m.s.sc.Net.Latency.zoneName(from))
		var p50, p99 []float64
		var n []int
		for _, to := range present {
			v := m.zoneLat[from*m.zones+to]
			slices.Sort(v)
			q50, q99 := -1.0, -1.0
			if len(v) > 0 {
				q50, q99 = pct(v, 0.5), pct(v, 0.99)
			}
			p50, p99, n = append(p50, q50), append(p99, q99), append(n, len(v))
		}
		zl.P50Ms, zl.P99Ms, zl.Deliveries = append(zl.P50Ms, p50), append(zl.P99Ms, p99), append(zl.Deliveries, n)
	}
	return zl
}

// buckets returns the delivery ratio per second of publish time.
func (m *metrics) buckets() []Bucket {
	var exp, got []int64
	for _, mi := range m.msgs {
		if mi.pub < 0 {
			continue
		}
		b := int(mi.at / int64(time.Second))
		for len(exp) <= b {
			exp, got = append(exp, 0), append(got, 0)
		}
		exp[b] += int64(mi.expected)
		got[b] += int64(mi.got)
	}
	var out []Bucket
	for b := range exp {
		if exp[b] > 0 {
			out = append(out, Bucket{TS: float64(b), Ratio: ratio(got[b], exp[b])})
		}
	}
	return out
}

// disruption returns when the scenario's disruption starts (0: none).
func (s *simulator) disruption() time.Duration {
	sc := s.sc
	switch {
	case sc.Attack.Kind == AttackCovertFlash:
		return sc.Attack.FlashAt
	case sc.Attack.Kind != AttackNone:
		return max(sc.Attack.Start, time.Nanosecond)
	case sc.Net.Partition.At > 0:
		return sc.Net.Partition.At
	case sc.Net.Churn.Interval > 0:
		return max(sc.Net.Churn.Start, time.Nanosecond)
	case sc.Net.Crash.At > 0:
		return sc.Net.Crash.At
	case sc.Net.Stalls.Interval > 0:
		return max(sc.Net.Stalls.Start, time.Nanosecond)
	}
	return 0
}

// recovery computes Result.RecoveryMs from the buckets.
func recovery(bs []Bucket, from time.Duration) float64 {
	if from == 0 || len(bs) == 0 {
		return -1
	}
	f := from.Seconds()
	last := -1.0
	for _, b := range bs {
		if b.TS+1 > f && b.Ratio < 0.99 {
			last = b.TS + 1
		}
	}
	switch {
	case last < 0:
		return 0
	case last >= bs[len(bs)-1].TS+1:
		return -1
	}
	return math.Round((last - f) * 1000)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(float64(a) / float64(b))
}

// round4 rounds to 4 decimals so the JSON stays short and stable.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// pct returns the q-quantile of sorted µs samples in ms (nearest rank).
func pct(v []int32, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(v)))) - 1
	i = min(max(i, 0), len(v)-1)
	return float64(v[i]) / 1000
}

// peakRSSMB returns the process's peak resident set (VmHWM) in MiB, 0 when
// unknown (not Linux).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0
			}
			return math.Round(kb/1024*10) / 10
		}
	}
	return 0
}
