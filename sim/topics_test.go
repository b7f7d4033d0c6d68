package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// TestOneTopicUnchanged: named scenarios (with and without attackers or
// churn), which have no Topics, give the Result they gave before several
// topics existed, byte for byte (the hashes were recorded on the code
// before Scenario.Topics was implemented, and again when ties between
// nodes' events came to break by node and a closed connection's far end
// to learn it a link delay later). The hash covers the figures coreFigures lists, not the
// whole Result, so that fields added to Result later do not break it; a
// change of the engine's behaviour does.
func TestOneTopicUnchanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		s    func(t *testing.T) Scenario
		want string
	}{
		{"baseline", func(t *testing.T) Scenario {
			s := small(t, "baseline", 40, 100)
			s.Net.Loss = 0.01
			return s
		}, "c28576f9123d2ae8"},
		{"sybil", func(t *testing.T) Scenario {
			s := small(t, "sybil", 25, 60)
			s.Traffic.Start, s.Traffic.WarmStart = 20*time.Second, 5*time.Second
			return s
		}, "6f38d4e316d2fb9a"},
		{"churn", func(t *testing.T) Scenario { return small(t, "churn", 40, 150) }, "ddc49da3521209e7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Run(tc.s(t), 7, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256(coreFigures(t, r))
			if got := hex.EncodeToString(h[:8]); got != tc.want {
				t.Errorf("Result hash %s, want %s (deliv %v dup %v bytes %v)", got, tc.want, r.DeliveryRatio, r.DupPerMsgPerNode, r.BytesPerMsgPerNode)
			}
		})
	}
}

// coreFigures returns the JSON of r's traffic, delivery, mesh, score and
// membership figures.
func coreFigures(t *testing.T, r *Result) []byte {
	t.Helper()
	// The score samples as they were when the hashes were recorded:
	// fields added to ScoreSample since must not change the hash.
	type scoreSample struct {
		TS                float64 `json:"t_s"`
		Honest            float64 `json:"honest"`
		Attacker          float64 `json:"attacker"`
		MeshAttackerShare float64 `json:"mesh_attacker_share"`
	}
	scores := make([]scoreSample, len(r.Scores))
	for i, s := range r.Scores {
		scores[i] = scoreSample{s.TS, s.Honest, s.Attacker, s.MeshAttackerShare}
	}
	b, err := json.Marshal([]any{r.Messages, r.Published, r.DeliveryRatio, r.LatP50Ms, r.LatP90Ms, r.LatP99Ms,
		r.LatMaxMs, r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.ControlShare, r.RecoveryMs, r.MeshDegreeHist,
		r.DeliveryOverTime, scores, r.MemberBytesPerNodePerS, r.ViewConvergeS, r.Packets, r.AttackerBytes,
		r.DropsLoss, r.DropsOffline, r.RouterDrops, r.RouterEvents, r.SpamSent, r.RouterErrors, r.Violations,
		r.VirtualS, r.latencies})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// twoTopics returns baseline at 40 nodes (up within 5 s) with two topics
// of different rates, sizes and starts: "fast" (40 msg/s of 200 bytes,
// 120 measured from 7 s, background from 2 s) and "big" (5 msg/s of 2,000
// bytes, 20 measured from 8 s).
func twoTopics(t *testing.T) Scenario {
	s := small(t, "baseline", 40, 1)
	s.Attack.HonestSpread = 5 * time.Second
	s.Traffic = Traffic{}
	s.Topics = []TopicSpec{
		{Name: "fast", Traffic: Traffic{Messages: 120, Size: 200, Rate: 40, Start: 7 * time.Second, WarmRate: 10, WarmStart: 2 * time.Second, Drain: 3 * time.Second}},
		{Name: "big", Traffic: Traffic{Messages: 20, Size: 2000, Rate: 5, Start: 8 * time.Second, Drain: 3 * time.Second}},
	}
	return s
}

// TestTopicsTwo: two topics with their own traffic are each delivered,
// counted, sized and meshed on their own; the top-level figures cover
// both.
func TestTopicsTwo(t *testing.T) {
	t.Parallel()
	s := twoTopics(t)
	r := run(t, s, 1)
	if r.Messages != 140 || r.DeliveryRatio < 0.99 {
		t.Fatalf("messages %d delivery %v, want 140 and ≈ 1", r.Messages, r.DeliveryRatio)
	}
	if len(r.Topics) != 2 {
		t.Fatalf("%d topic results, want 2", len(r.Topics))
	}
	fast, big := r.Topics[0], r.Topics[1]
	// fast: 10 background messages a second from 2 s to 7 s, then 120.
	if fast.Name != "fast" || fast.Messages != 120 || fast.Published != 50+120 {
		t.Errorf("fast: %+v, want 120 measured of 220 published", fast)
	}
	if big.Name != "big" || big.Messages != 20 || big.Published != 20 {
		t.Errorf("big: %+v, want 20 measured and published", big)
	}
	if r.Published != fast.Published+big.Published {
		t.Errorf("published %d, topics %d + %d", r.Published, fast.Published, big.Published)
	}
	for _, tr := range r.Topics {
		if tr.DeliveryRatio < 0.99 || tr.LatP50Ms <= 0 || tr.LatP99Ms < tr.LatP50Ms || tr.DupPerMsgPerNode <= 0 {
			t.Errorf("topic %s: %+v", tr.Name, tr)
		}
		nodes, meshed := 0, 0
		for d, c := range tr.MeshDegreeHist {
			nodes += c
			if d >= 4 {
				meshed += c
			}
		}
		if nodes != 40 || meshed < 36 {
			t.Errorf("topic %s: mesh histogram %v, want 40 nodes, most with degree ≥ 4", tr.Name, tr.MeshDegreeHist)
		}
	}
	if !slices.Equal(r.MeshDegreeHist, fast.MeshDegreeHist) {
		t.Errorf("top-level mesh histogram %v is not the first topic's %v", r.MeshDegreeHist, fast.MeshDegreeHist)
	}
	// Each copy of a message carries its own topic's data: ten times the
	// size, about ten times the bytes per message.
	if q := big.MsgBytesPerMsgPerNode / fast.MsgBytesPerMsgPerNode; q < 7 || q > 13 {
		t.Errorf("message bytes per msg per node: big %v, fast %v (ratio %.1f, want ≈ 10)",
			big.MsgBytesPerMsgPerNode, fast.MsgBytesPerMsgPerNode, q)
	}
	// The top-level duplicates are the sum of the topics'.
	total := (fast.DupPerMsgPerNode*float64(fast.Published) + big.DupPerMsgPerNode*float64(big.Published)) / float64(r.Published)
	if math.Abs(total-r.DupPerMsgPerNode) > 0.01 {
		t.Errorf("duplicates: topics give %v per msg per node, top level %v", total, r.DupPerMsgPerNode)
	}
}

// TestTopicsOneEqualsNone: Topics with one topic named Topic and the
// scenario's Traffic runs exactly as the scenario without Topics (no
// per-topic figures).
func TestTopicsOneEqualsNone(t *testing.T) {
	t.Parallel()
	s := small(t, "baseline", 25, 60)
	one := s
	one.Topics, one.Traffic = []TopicSpec{{Name: Topic, Traffic: s.Traffic}}, Traffic{}
	a, b := canonical(t, run(t, s, 2)), canonical(t, run(t, one, 2))
	if !bytes.Equal(a, b) {
		t.Fatalf("one topic in Topics differs from none:\n%s\n%s", a, b)
	}
}

// until runs s's events up to virtual time at (a test's partial loop).
func until(t *testing.T, s *simulator, at time.Duration) {
	t.Helper()
	for s.q.len() > 0 && s.q.nextAt() <= int64(at) {
		e := s.q.pop()
		s.now = e.at
		if err := s.handle(e); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTopicsScoreParams: every topic's parameters reach every honest
// scorer (TopicSpec.Score, or Scenario.ScoreParams for the name), and a
// topic whose P3 punishes its slow traffic hard sinks honest scores that
// the same run without it keeps positive.
func TestTopicsScoreParams(t *testing.T) {
	t.Parallel()
	s := twoTopics(t)
	s.SampleEvery = time.Second
	harsh := *ScoreParams("big").Topics["big"]
	harsh.MeshMessageDeliveriesWeight = -100
	harsh.MeshMessageDeliveriesThreshold = 50 // big sends 5 msg/s
	harsh.MeshMessageDeliveriesActivation = 2 * time.Second
	s.Topics[1].Score = &harsh
	sim, err := newSimulator(&s, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	until(t, sim, s.end())
	want := ScoreParams("fast").Topics["fast"]
	for i := range sim.honest {
		sc := sim.nodes[i].scorer
		if sc == nil {
			t.Fatalf("node %d has no scorer", i)
		}
		p := sc.Params()
		if len(p.Topics) != 2 || *p.Topics["fast"] != *want || *p.Topics["big"] != harsh {
			t.Fatalf("node %d scorer topics: %v, want fast %+v and big %+v", i, p.Topics, *want, harsh)
		}
	}

	// The harsh P3 prunes big's mesh peers before its traffic starts
	// (8 s), with a P3b of -0.5 × 50² each: the mean score honest nodes
	// give their peers dips well below 0.
	lowest := func(r *Result) float64 {
		low := math.Inf(1)
		for _, smp := range r.Scores {
			low = min(low, smp.Honest)
		}
		return low
	}
	sim.now = int64(s.end())
	rh := sim.result()
	mild := twoTopics(t)
	mild.SampleEvery = time.Second
	rm := run(t, mild, 1)
	if lowest(rm) < -5 || lowest(rh) > -30 {
		t.Fatalf("lowest mean honest score: %v with big's default parameters, %v with a harsh P3 (want ≥ -5 and < -30)", lowest(rm), lowest(rh))
	}
}

// TestTopicsPublishers: with Traffic.Publishers = 3 only three honest
// nodes (the same for a seed) publish the topic, each of them some; the
// other topic keeps random publishers; a publisher that is offline
// passes its turn to the next one of the three that is online.
func TestTopicsPublishers(t *testing.T) {
	t.Parallel()
	s := twoTopics(t)
	s.Topics[0].Traffic.Publishers = 3
	s.Topics[0].Traffic.WarmRate = 0 // from 2 s, before the three are up
	sim, err := newSimulator(&s, 4, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	set := sim.m.pubs[0]
	if len(set) != 3 || sim.m.pubs[1] != nil {
		t.Fatalf("publishers %v, want 3 for fast and any for big", sim.m.pubs)
	}
	again, _ := newSimulator(&s, 4, RunOptions{})
	if !slices.Equal(again.m.pubs[0], set) {
		t.Fatalf("publishers %v then %v for the same seed", set, again.m.pubs[0])
	}
	until(t, sim, s.end())
	used := map[int32]int{}
	others := map[int32]bool{}
	for _, mi := range sim.m.msgs {
		if mi.pub < 0 {
			t.Fatalf("a message was not published: %v", sim.m.violationLog)
		}
		if mi.topic == 0 {
			used[mi.pub]++
		} else {
			others[mi.pub] = true
		}
	}
	for p, c := range used {
		if !slices.Contains(set, p) {
			t.Errorf("node %d published %d fast messages, not one of %v", p, c, set)
		}
	}
	if len(used) != 3 || len(others) < 5 {
		t.Errorf("fast published by %v, big by %d nodes; want all of %v, and many", used, len(others), set)
	}

	// Two of the three offline: the third publishes every turn.
	sim, _ = newSimulator(&s, 4, RunOptions{})
	until(t, sim, 9*time.Second)
	sim.nodes[set[0]].online, sim.nodes[set[2]].online = false, false
	for k := range sim.m.msgs {
		if mi := &sim.m.msgs[k]; mi.topic == 0 && mi.pub < 0 {
			sim.publish(k)
			if mi.pub != set[1] {
				t.Fatalf("message %d published by %d with %d and %d offline, want %d", k, mi.pub, set[0], set[2], set[1])
			}
		}
	}
}

// TestTopicsValidate: the checks of Topics and Publishers.
func TestTopicsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(s *Scenario)
		ok   bool
	}{
		{"two", func(s *Scenario) {}, true},
		{"traffic-too", func(s *Scenario) { s.Traffic.Messages = 1 }, false},
		{"same-name", func(s *Scenario) { s.Topics[1].Name = "fast" }, false},
		{"no-name", func(s *Scenario) { s.Topics[0].Name = "" }, false},
		{"bad-traffic", func(s *Scenario) { s.Topics[1].Traffic.Rate = 0 }, false},
		{"all-publish", func(s *Scenario) { s.Topics[1].Traffic.Publishers = 40 }, true},
		{"too-many-publishers", func(s *Scenario) { s.Topics[1].Traffic.Publishers = 41 }, false},
		{"negative-publishers", func(s *Scenario) { s.Topics[0].Traffic.Publishers = -1 }, false},
		{"one-topic-publishers", func(s *Scenario) {
			s.Traffic, s.Topics = s.Topics[0].Traffic, nil
			s.Traffic.Publishers = 41
		}, false},
	} {
		s := twoTopics(t)
		tc.edit(&s)
		err := s.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: Validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestTopicCheckerFails: a message delivered in another topic than it was
// published in is a violation (so that mixed-up topics fail every test).
func TestTopicCheckerFails(t *testing.T) {
	s := twoTopics(t)
	sim, err := newSimulator(&s, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k := slices.IndexFunc(sim.m.msgs, func(mi msgInfo) bool { return mi.topic == 1 })
	sim.m.msgs[k].pub = 0
	data := make([]byte, 32)
	data[0] = validMarker
	binary.BigEndian.PutUint32(data[1:], uint32(k))
	sim.m.deliver(sim.nodes[1], &router.Delivery{Msg: rpc.Message{Data: data, Topic: "fast"}})
	if sim.m.violations != 1 || sim.m.msgs[k].got != 0 {
		t.Fatalf("violations %d %q, got %d, want 1 and 0", sim.m.violations, sim.m.violationLog, sim.m.msgs[k].got)
	}
	sim.m.deliver(sim.nodes[1], &router.Delivery{Msg: rpc.Message{Data: data, Topic: "big"}})
	if sim.m.violations != 1 || sim.m.msgs[k].got != 1 {
		t.Fatalf("violations %d %q, got %d, want 1 and 1", sim.m.violations, sim.m.violationLog, sim.m.msgs[k].got)
	}
}
