package sim

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// tuneTestBase returns a small user scenario (20 honest nodes, 20
// messages) whose P3 is deliberately bad: a threshold of 200 no honest
// mesh peer reaches, at weight −5, so that every honest mesh peer sinks
// below the graylist threshold once P3 activates.
func tuneTestBase(t *testing.T) Scenario {
	t.Helper()
	b, _ := Lookup("baseline")
	b = b.WithNodes(20)
	b.Traffic.Messages = 20
	p, err := TuneParamsOf(b)
	if err != nil {
		t.Fatal(err)
	}
	p.MeshMessageDeliveriesThreshold, p.MeshMessageDeliveriesWeight = 200, -5
	if b, err = b.WithTuneParams(p); err != nil {
		t.Fatal(err)
	}
	return b
}

// tuneTestFlash returns the covert flash scenario shortened for tests:
// the flash at 12 s, measured from 14 s.
func tuneTestFlash() Scenario {
	cf, _ := Lookup("covertflash")
	cf.Attack.FlashAt = 12 * time.Second
	cf.Traffic.Start = 14 * time.Second
	return cf
}

func TestWithAttackOf(t *testing.T) {
	user, _ := Lookup("baseline")
	user = user.WithNodes(300)
	user.Traffic = Traffic{Publishers: 5, Messages: 77, Size: 2048, Rate: 120, Start: 20 * time.Second, Drain: 3 * time.Second}
	user.Params = router.DefaultParams()
	user.Params.D, user.Params.Dlo, user.Params.Dhi = 8, 6, 12
	user.Net.Loss = 0.01
	user.Thresholds = score.Thresholds{GossipThreshold: -1, PublishThreshold: -2, GraylistThreshold: -3}
	user.ScoreParams = func(topic string) score.Params { p := ScoreParams(topic); p.TopicScoreCap = 7; return p }

	sybil, _ := Lookup("sybil")
	eclipse, _ := Lookup("eclipse")
	for _, tc := range []struct {
		name     string
		user     func(Scenario) Scenario
		attack   Scenario
		warmRate float64
		targets  int
	}{
		{"sybil: user's rate capped at the attack's warm rate", nil, sybil, 20, 0},
		{"eclipse: targets scale with the user's nodes", nil, eclipse, 20, 3},
		{"user's own warm rate kept", func(s Scenario) Scenario { s.Traffic.WarmRate = 5; return s }, sybil, 5, 0},
		{"a slow topic warms at its own rate", func(s Scenario) Scenario { s.Traffic.Rate = 2; return s }, sybil, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := user
			if tc.user != nil {
				u = tc.user(u)
			}
			got := u.WithAttackOf(tc.attack)
			if got.Name != tc.attack.Name || got.Attack.Kind != tc.attack.Attack.Kind || got.Attack.PerHonest != tc.attack.Attack.PerHonest ||
				got.Attack.Start != tc.attack.Attack.Start || !reflect.DeepEqual(got.Topology, tc.attack.Topology) || !got.Scoring {
				t.Errorf("attack not transplanted: %+v %+v", got.Attack, got.Topology)
			}
			if got.Attack.Targets != tc.targets {
				t.Errorf("targets %d, want %d", got.Attack.Targets, tc.targets)
			}
			if got.Nodes != 300 || got.Net != u.Net || !reflect.DeepEqual(got.Params, u.Params) || got.Thresholds != u.Thresholds ||
				got.scoreParams().TopicScoreCap != 7 {
				t.Errorf("user's nodes, network, router or score parameters lost")
			}
			tr, ut := got.Traffic, u.Traffic
			if tr.Publishers != ut.Publishers || tr.Messages != ut.Messages || tr.Size != ut.Size || tr.Rate != ut.Rate || tr.Drain != ut.Drain {
				t.Errorf("user's traffic lost: %+v", tr)
			}
			if tr.Start != tc.attack.Traffic.Start || tr.WarmStart != tc.attack.Traffic.WarmStart || tr.WarmRate != tc.warmRate {
				t.Errorf("timing: start %v warm %v from %v, want %v, %v from %v", tr.Start, tr.WarmRate, tr.WarmStart,
					tc.attack.Traffic.Start, tc.warmRate, tc.attack.Traffic.WarmStart)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("no background traffic in the attack: none", func(t *testing.T) {
		u := user
		u.Traffic.WarmRate, u.Traffic.WarmStart = 9, time.Second
		b, _ := Lookup("baseline")
		got := u.WithAttackOf(b)
		if got.Traffic.WarmRate != 0 || got.Attack.Kind != AttackNone || got.Traffic.Start != b.Traffic.Start {
			t.Errorf("traffic %+v", got.Traffic)
		}
	})
	t.Run("topics are retimed, each keeps its traffic", func(t *testing.T) {
		u := user
		u.Traffic = Traffic{}
		tp := score.DefaultTopicParams()
		u.Topics = []TopicSpec{{Name: "a", Traffic: Traffic{Messages: 3, Size: 64, Rate: 1}, Score: &tp}, {Name: "b", Traffic: Traffic{Messages: 4, Size: 99, Rate: 50}}}
		got := u.WithAttackOf(sybil)
		if got.Traffic != (Traffic{}) || len(got.Topics) != 2 {
			t.Fatalf("traffic %+v topics %d", got.Traffic, len(got.Topics))
		}
		for i, want := range []float64{1, 20} {
			g := got.Topics[i].Traffic
			if g.Start != sybil.Traffic.Start || g.WarmRate != want || g.Size != u.Topics[i].Traffic.Size {
				t.Errorf("topic %d: %+v", i, g)
			}
		}
		if u.Topics[0].Traffic.Start != 0 {
			t.Error("the user's topics changed")
		}
	})
}

func TestWithTuneParams(t *testing.T) {
	c := TuneParams{
		MeshMessageDeliveriesThreshold: 150, MeshMessageDeliveriesWeight: -2,
		InvalidMessageDeliveriesWeight: -3, BehaviourPenaltyWeight: -4,
		GossipThreshold: -5, PublishThreshold: -6, GraylistThreshold: -7,
		IPColocationFactorWeight: -8, MeshFailurePenaltyWeight: -9,
		MeshMessageDeliveriesActivation: 42 * time.Second, OpportunisticGraftThreshold: 11,
	}
	b, _ := Lookup("baseline")
	// P3b, P4 and P7 off in the start: their decays are unset.
	b.ScoreParams = func(topic string) score.Params {
		p := ScoreParams(topic)
		p.BehaviourPenaltyWeight, p.BehaviourPenaltyDecay = 0, 0
		p.Topics[topic].InvalidMessageDeliveriesWeight, p.Topics[topic].InvalidMessageDeliveriesDecay = 0, 0
		p.Topics[topic].MeshFailurePenaltyWeight, p.Topics[topic].MeshFailurePenaltyDecay = 0, 0
		return p
	}
	got, err := b.WithTuneParams(c)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := TuneParamsOf(got); back != c {
		t.Errorf("TuneParamsOf = %+v, want %+v", back, c)
	}
	p := got.scoreParams()
	if err := p.Validate(); err != nil {
		t.Errorf("tuned score params invalid: %v", err)
	}
	if th := got.thresholds(); th.Validate() != nil || th.AcceptPXThreshold != 100 || th.OpportunisticGraftThreshold != 11 {
		t.Errorf("thresholds %+v", th)
	}
	if tp := p.Topics[Topic]; tp.MeshFailurePenaltyWeight != -9 || tp.MeshFailurePenaltyDecay != score.DefaultTopicParams().MeshFailurePenaltyDecay ||
		tp.MeshMessageDeliveriesActivation != 42*time.Second {
		t.Errorf("P3b weight %v decay %v, P3 activation %v", tp.MeshFailurePenaltyWeight, tp.MeshFailurePenaltyDecay, tp.MeshMessageDeliveriesActivation)
	}
	if p.IPColocationFactorWeight != -8 || p.IPColocationFactorThreshold != score.DefaultParams(Topic).IPColocationFactorThreshold {
		t.Errorf("P6 weight %v threshold %d, want -8 and the default's", p.IPColocationFactorWeight, p.IPColocationFactorThreshold)
	}
	if p.Topics[Topic].MeshMessageDeliveriesCap != 150 || p.Topics[Topic].TimeInMeshWeight != score.DefaultTopicParams().TimeInMeshWeight {
		t.Errorf("P3 cap %v not raised to the threshold, or other fields lost", p.Topics[Topic].MeshMessageDeliveriesCap)
	}
	if start, _ := TuneParamsOf(b); start.BehaviourPenaltyWeight != 0 || start.GossipThreshold != -100 {
		t.Errorf("the base changed: %+v", start)
	}
	t.Run("topics", func(t *testing.T) {
		m := b
		m.Topics = []TopicSpec{{Name: "x", Traffic: Traffic{Messages: 1, Size: 32, Rate: 1}}, {Name: "y"}}
		got, err := m.WithTuneParams(c)
		if err != nil {
			t.Fatal(err)
		}
		if got.Topics[0].Score == nil || got.Topics[0].Score.InvalidMessageDeliveriesWeight != -3 || m.Topics[0].Score != nil {
			t.Errorf("Topics[0].Score %+v", got.Topics[0].Score)
		}
		if got.ScoreParams("x").Topics["x"].MeshMessageDeliveriesWeight != -2 || got.ScoreParams("y").Topics["x"] != nil {
			t.Error("ScoreParams not tuned for the attacked topic only")
		}
		if back, _ := TuneParamsOf(got); back != c {
			t.Errorf("TuneParamsOf = %+v, want %+v", back, c)
		}
	})
}

func TestTuneScoreBetter(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b TuneScore
		want bool
	}{
		{"delivery goal first", TuneScore{0.99, 0.5, 900, 900}, TuneScore{0.989, 0, 100, 100}, true},
		{"missing the goal", TuneScore{0.98, 0.5, 900, 900}, TuneScore{0.99, 0, 100, 100}, false},
		{"both missing: higher delivery", TuneScore{0.95, 0.5, 900, 900}, TuneScore{0.9, 0, 100, 100}, true},
		{"then fewer false positives", TuneScore{0.99, 0.01, 900, 900}, TuneScore{1, 0.02, 100, 100}, true},
		{"more false positives", TuneScore{1, 0.02, 100, 100}, TuneScore{0.99, 0.01, 900, 900}, false},
		{"false positives within 0.001 tie: latency", TuneScore{0.99, 0.0105, 100, 100}, TuneScore{1, 0.01, 200, 200}, true},
		{"equal is not better", TuneScore{1, 0, 100, 150}, TuneScore{1, 0, 100, 150}, false},
		{"equal worst p99: lower sum", TuneScore{1, 0, 100, 150}, TuneScore{1, 0, 100, 180}, true},
		{"worst p99 before the sum", TuneScore{1, 0, 100, 190}, TuneScore{1, 0, 110, 150}, true},
	} {
		if got := tc.a.Better(tc.b); got != tc.want {
			t.Errorf("%s: %+v.Better(%+v) = %v", tc.name, tc.a, tc.b, got)
		}
	}
}

func TestTuneSpace(t *testing.T) {
	start := TuneParams{MeshMessageDeliveriesThreshold: 200, MeshMessageDeliveriesWeight: 0, InvalidMessageDeliveriesWeight: -10,
		BehaviourPenaltyWeight: -1, GossipThreshold: -10, PublishThreshold: -20, GraylistThreshold: -30,
		MeshMessageDeliveriesActivation: 15 * time.Second}
	sp := newTuneSpace(start)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		var u [tuneDims]float64
		for i := range u {
			u[i] = rng.Float64()
		}
		c := sp.params(u)
		th := score.Thresholds{GossipThreshold: c.GossipThreshold, PublishThreshold: c.PublishThreshold, GraylistThreshold: c.GraylistThreshold}
		if err := th.Validate(); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		// P3 threshold: from a quarter of the default (10) to four times the start.
		// P6: the start's weight is 0, so around the default's (−10).
		if c.IPColocationFactorWeight > -2.5 || c.IPColocationFactorWeight < -40 {
			t.Fatalf("P6 out of the space: %+v", c)
		}
		// P3b: the start's weight is 0, so around the default's (−0.5);
		// P3 activation from a quarter of the start (15 s) to four times
		// the default (30 s); OG around the
		// default (5), the start's being 0.
		if c.MeshFailurePenaltyWeight > -0.125 || c.MeshFailurePenaltyWeight < -2 ||
			c.MeshMessageDeliveriesActivation < 3700*time.Millisecond || c.MeshMessageDeliveriesActivation > 121*time.Second ||
			c.OpportunisticGraftThreshold < 1.25 || c.OpportunisticGraftThreshold > 20 {
			t.Fatalf("P3b, P3 activation or OG out of the space: %+v", c)
		}
		if c.MeshMessageDeliveriesThreshold < 2.5 || c.MeshMessageDeliveriesThreshold > 800 ||
			c.MeshMessageDeliveriesWeight >= 0 || c.GossipThreshold < -400 || c.GossipThreshold > -2.5 {
			t.Fatalf("out of the space: %+v", c)
		}
		back := sp.point(c)
		for i := range u {
			if d := back[i] - u[i]; d > 0.01 || d < -0.01 {
				t.Fatalf("point(params(%v)) = %v", u, back)
			}
		}
	}
}

// zeroWall clears the fields of a TuneResult that vary between runs of
// one seed, and its scenario (which holds a function).
func zeroWall(r *TuneResult) {
	for _, rs := range [][]*Result{r.StartResults, r.BestResults} {
		for _, x := range rs {
			x.WallS, x.PeakRSSMB = 0, 0
		}
	}
	r.Tuned = Scenario{}
}

// countingWriter counts the runs a tune reports.
type countingWriter struct{ runs int }

func (c *countingWriter) Write(b []byte) (int, error) {
	c.runs += strings.Count(string(b), "tune: run ")
	return len(b), nil
}

func TestTuneDeterministicAndImproves(t *testing.T) {
	base := tuneTestBase(t)
	attacks := []Scenario{tuneTestFlash()}
	var results []*TuneResult
	for _, par := range []int{1, 2} {
		cw := &countingWriter{}
		res, err := Tune(context.Background(), base, attacks, TuneOptions{Budget: 5, Parallel: par, Seed: 3, Progress: cw})
		if err != nil {
			t.Fatal(err)
		}
		if cw.runs != 5 || res.Runs != 5 || len(res.Trials) != 5 {
			t.Errorf("parallel %d: %d runs reported, Runs %d, %d trials; want 5", par, cw.runs, res.Runs, len(res.Trials))
		}
		if got, _ := TuneParamsOf(res.Tuned); got != res.Best {
			t.Errorf("Tuned has %+v, Best is %+v", got, res.Best)
		}
		for _, r := range append(res.StartResults, res.BestResults...) {
			if r.Seed != 3 || !r.Scoring || r.Nodes != 20 {
				t.Errorf("run %s: seed %d, scoring %v, %d nodes; want seed 3, scoring on, 20 nodes", r.Scenario, r.Seed, r.Scoring, r.Nodes)
			}
		}
		zeroWall(res)
		results = append(results, res)
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("parallel 1 and 2 differ:\n%+v\n%+v", results[0], results[1])
	}
	res := results[0]
	if !res.BestScore.Better(res.StartScore) || res.Best == res.Start {
		t.Errorf("no improvement on a bad start: start %+v %+v, best %+v %+v", res.Start, res.StartScore, res.Best, res.BestScore)
	}
	if res.Trials[0].Params != res.Start || res.Trials[0].Round != 0 || res.Trials[4].Round != 1 {
		t.Errorf("trials: %+v", res.Trials)
	}
	var b bytes.Buffer
	if err := res.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| covertflash | start | 20 | 10 |", "| covertflash | tuned |", "| MeshMessageDeliveriesThreshold | 200 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestTuneErrors(t *testing.T) {
	base := tuneTestBase(t)
	flash := tuneTestFlash()
	bad := flash
	bad.Topology.AttackerDegree = 0
	bad.Attack.Kind = AttackSybil
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		attacks []Scenario
		budget  int
		want    error
	}{
		{"no attacks", context.Background(), nil, 4, ErrConfig},
		{"budget below two candidates", context.Background(), []Scenario{flash, flash}, 3, ErrConfig},
		{"budget not a multiple", context.Background(), []Scenario{flash, flash}, 5, ErrConfig},
		{"invalid attack scenario", context.Background(), []Scenario{bad}, 2, ErrConfig},
		{"cancelled", cancelled, []Scenario{flash}, 2, context.Canceled},
	} {
		cw := &countingWriter{}
		_, err := Tune(tc.ctx, base, tc.attacks, TuneOptions{Budget: tc.budget, Parallel: 2, Seed: 1, Progress: cw})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
		if cw.runs != 0 {
			t.Errorf("%s: %d runs made", tc.name, cw.runs)
		}
	}
}

func TestTuneWriteGo(t *testing.T) {
	b, _ := Lookup("baseline")
	start, _ := TuneParamsOf(b)
	best := start
	best.MeshMessageDeliveriesThreshold, best.GraylistThreshold = 3.25, -1250
	tuned, err := b.WithTuneParams(best)
	if err != nil {
		t.Fatal(err)
	}
	res := &TuneResult{Seed: 1, Runs: 4, Attacks: []string{"sybil"}, Start: start, Best: best, Tuned: tuned}
	var out bytes.Buffer
	if err := res.WriteGo(&out, "mynode"); err != nil {
		t.Fatal(err)
	}
	src := out.String()
	f, err := parser.ParseFile(token.NewFileSet(), "tuned.go", src, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if f.Name.Name != "mynode" || len(f.Imports) != 3 {
		t.Errorf("package %s, %d imports", f.Name.Name, len(f.Imports))
	}
	// Every field of the three structs is written (a new field of score
	// must not be silently left out).
	for _, v := range []any{score.Params{}, score.TopicParams{}, score.Thresholds{}} {
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			if !strings.Contains(src, ty.Field(i).Name+":") {
				t.Errorf("%s.%s missing", ty.Name(), ty.Field(i).Name)
			}
		}
	}
	for _, want := range []string{"MeshMessageDeliveriesThreshold:  3.25,", "GraylistThreshold:           -1250,",
		"topic: {", "MeshMessageDeliveriesActivation: 10 * time.Second,", "netip.MustParsePrefix(\"127.0.0.0/8\")"} {
		if !strings.Contains(src, want) {
			t.Errorf("lacks %q:\n%s", want, src)
		}
	}
}

func TestGoDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", time.Hour: "1 * time.Hour", 90 * time.Second: "90 * time.Second",
		1500 * time.Millisecond: "1500 * time.Millisecond", 7: "7 * time.Nanosecond", 3 * time.Microsecond: "3 * time.Microsecond",
	} {
		if got := goDuration(d); got != want {
			t.Errorf("goDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
