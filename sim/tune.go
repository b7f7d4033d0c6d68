package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/score"
)

// TuneParams are the score parameters Tune searches: those of the attacked
// topic (Topics[0], or Topic) and the thresholds. Everything else of the
// scenario's score.Params stays as the scenario has it.
type TuneParams struct {
	// MeshMessageDeliveriesThreshold and MeshMessageDeliveriesWeight are
	// P3's threshold (> 0) and weight (< 0). The P3 cap is raised to the
	// threshold when it is below.
	MeshMessageDeliveriesThreshold float64
	MeshMessageDeliveriesWeight    float64
	// InvalidMessageDeliveriesWeight is P4's weight (< 0).
	InvalidMessageDeliveriesWeight float64
	// BehaviourPenaltyWeight is P7's weight (< 0), a global parameter.
	BehaviourPenaltyWeight float64
	// IPColocationFactorWeight is P6's weight (< 0), a global parameter;
	// its threshold is score.DefaultParams' when the scenario's is below 1.
	IPColocationFactorWeight float64
	// GossipThreshold ≥ PublishThreshold > GraylistThreshold, all < 0.
	GossipThreshold, PublishThreshold, GraylistThreshold float64
	// MeshFailurePenaltyWeight is P3b's weight (< 0): the deficit a peer
	// leaves the mesh with stays against it.
	MeshFailurePenaltyWeight float64
	// MeshMessageDeliveriesActivation is how long a peer is in the mesh
	// before P3 counts against it: shorter catches sybils that sit in a
	// mesh sooner, longer spares honest peers that just joined.
	MeshMessageDeliveriesActivation time.Duration
	// OpportunisticGraftThreshold (≥ 0): a mesh whose median score is
	// below it grafts better peers (router.Params.OpportunisticGraftTicks
	// must be on for it to matter).
	OpportunisticGraftThreshold float64
}

// TuneScore is how Tune ranks parameters over the attack scenarios: see
// Better.
type TuneScore struct {
	// MinDelivery is the lowest honest delivery ratio over the attack
	// scenarios (for eclipse, the lower of the whole network's and the
	// targets').
	MinDelivery float64
	// FalsePositives is the highest, over the attack scenarios, of
	// Result.ScoreFPGossip + Result.ScoreFPGraylist: the share of honest
	// pairs below the gossip threshold, those below the graylist
	// threshold (who lose every RPC, not only gossip) counted twice.
	FalsePositives float64
	// P99Ms is the highest p99 latency over the attack scenarios.
	P99Ms float64
	// SumP99Ms is the sum of the p99 latencies over the attack
	// scenarios: it decides between equal P99Ms, when the worst attack
	// is one no candidate changes and the others still differ.
	SumP99Ms float64
}

// TuneDeliveryGoal is the honest delivery ratio every attack scenario must
// reach before false positives and latency count.
const TuneDeliveryGoal = 0.99

// tuneFPTolerance: false-positive shares closer than this are equal, so
// that latency decides between them rather than noise.
const tuneFPTolerance = 0.001

// Better reports whether s ranks before o: delivery ≥ TuneDeliveryGoal in
// every attack scenario first (between two that miss it, the higher
// MinDelivery); then fewer FalsePositives (differences below 0.001 are
// ties); then the lower P99Ms, and between equal ones the lower SumP99Ms.
// Equal scores are not better, so the
// earlier candidate (the starting parameters first) wins ties.
func (s TuneScore) Better(o TuneScore) bool {
	sOK, oOK := s.MinDelivery >= TuneDeliveryGoal, o.MinDelivery >= TuneDeliveryGoal
	switch {
	case sOK != oOK:
		return sOK
	case !sOK && s.MinDelivery != o.MinDelivery:
		return s.MinDelivery > o.MinDelivery
	case math.Abs(s.FalsePositives-o.FalsePositives) > tuneFPTolerance:
		return s.FalsePositives < o.FalsePositives
	case s.P99Ms != o.P99Ms:
		return s.P99Ms < o.P99Ms
	}
	return s.SumP99Ms < o.SumP99Ms
}

// tuneScore returns the score of one candidate's results, one per attack.
func tuneScore(rs []*Result) TuneScore {
	t := TuneScore{MinDelivery: math.Inf(1)}
	for _, r := range rs {
		d := r.DeliveryRatio
		if r.TargetDeliveryRatio >= 0 {
			d = min(d, r.TargetDeliveryRatio)
		}
		t.MinDelivery = min(t.MinDelivery, d)
		t.FalsePositives = max(t.FalsePositives, r.ScoreFPGossip+r.ScoreFPGraylist)
		t.P99Ms = max(t.P99Ms, r.LatP99Ms)
		t.SumP99Ms += r.LatP99Ms
	}
	return t
}

// TuneOptions are the knobs of a search.
type TuneOptions struct {
	// Budget is the number of runs, one run being one candidate on one
	// attack scenario; the starting parameters take the first
	// len(attacks). It must be a multiple of len(attacks), at least two
	// candidates' worth.
	Budget int
	// Parallel is the number of runs at once, each on the cores the
	// others leave (RunOptions.Workers: GOMAXPROCS / Parallel); < 1 means
	// 1. It changes the wall time only, never the result.
	Parallel int
	// Seed seeds every run (all candidates run each attack scenario with
	// the same seed, so they are compared on the same network) and the
	// sampling of candidates.
	Seed uint64
	// Progress, when set, gets a line per finished run (in completion
	// order) and per round (deterministic).
	Progress io.Writer
}

// TuneTrial is one evaluated candidate.
type TuneTrial struct {
	Params TuneParams
	Score  TuneScore
	// Round is 0 for the starting parameters and the sampled candidates,
	// then 1, 2, … for the rounds of refinement.
	Round int
}

// TuneResult is what Tune found. Every field is a pure function of the
// base scenario, the attack scenarios and TuneOptions (Budget, Seed), but
// the WallS and PeakRSSMB of the Results.
type TuneResult struct {
	// Seed and Runs are TuneOptions.Seed and the runs made (Budget).
	Seed uint64
	Runs int
	// Attacks are the attack scenarios' names, in the order given.
	Attacks []string
	// Start and Best are the starting and the best parameters, with
	// their scores; Best == Start when nothing beat it.
	Start, Best           TuneParams
	StartScore, BestScore TuneScore
	// StartResults and BestResults are the runs of Start and Best, one
	// per attack scenario in Attacks order (the base scenario with the
	// attack transplanted, WithAttackOf).
	StartResults, BestResults []*Result
	// Trials are every candidate evaluated, the starting parameters
	// first, in evaluation order.
	Trials []TuneTrial
	// Tuned is the base scenario with Best applied (for WriteConfig).
	Tuned Scenario
}

// WithAttackOf returns s, the user's scenario, under the attack of a
// named scenario a: s's network, router, score and membership
// parameters, strategy, signing, nodes and traffic (its topics, rate,
// size, messages and publishers) stay; a's Attack (eclipse targets
// scaled to s.Nodes as WithNodes does), Topology (the attackers' and
// honest nodes' scripted dials, and the water marks that let the attack
// keep its connections; s's HeartbeatSpread stays) and traffic timing come in: the measured messages
// start at a's Traffic.Start, and when a has background traffic, s's
// runs too from a's WarmStart, at s's WarmRate if set, else at s's Rate
// capped at a's WarmRate (to keep runs short). Scoring is on; the name and
// summary are a's.
func (s Scenario) WithAttackOf(a Scenario) Scenario {
	out := s
	out.Name, out.Summary = a.Name, a.Summary
	out.Attack = a.Attack
	out.Topology = a.Topology
	// The heartbeat phases are the user's timing model, not the attack's.
	out.Topology.HeartbeatSpread = s.Topology.HeartbeatSpread
	out.Scoring, out.CompareScoring = true, a.CompareScoring
	out = out.WithNodes(s.Nodes)
	if len(s.Topics) > 0 {
		out.Topics = make([]TopicSpec, len(s.Topics))
		copy(out.Topics, s.Topics)
		for i := range out.Topics {
			out.Topics[i].Traffic = retime(out.Topics[i].Traffic, a.Traffic)
		}
		return out
	}
	out.Traffic = retime(s.Traffic, a.Traffic)
	return out
}

// retime returns t with the timing of the attack scenario's traffic a.
func retime(t, a Traffic) Traffic {
	t.Start = a.Start
	t.WarmStart = a.WarmStart
	switch {
	case a.WarmRate == 0:
		t.WarmRate, t.WarmStart = 0, 0
	case t.WarmRate == 0:
		t.WarmRate = min(t.Rate, a.WarmRate)
	}
	return t
}

// attackedTopic returns the name of the topic attacks target.
func (s *Scenario) attackedTopic() string { return s.topics()[0].Name }

// scoreParamsFor returns the scenario's score parameters for topic, as
// Scenario.ScoreParams (or ScoreParams) gives them, with fresh copies of
// every TopicParams so the caller may change them.
func (s *Scenario) scoreParamsFor(topic string) score.Params {
	var p score.Params
	if s.ScoreParams == nil {
		p = ScoreParams(topic)
	} else {
		p = s.ScoreParams(topic)
	}
	return copyScoreParams(p)
}

// topicScore returns the attacked topic's score parameters (a copy).
func (s *Scenario) topicScore() (score.TopicParams, error) {
	name := s.attackedTopic()
	if len(s.Topics) > 0 && s.Topics[0].Score != nil {
		return *s.Topics[0].Score, nil
	}
	tp := s.scoreParamsFor(name).Topics[name]
	if tp == nil {
		return score.TopicParams{}, fmt.Errorf("%w: no score parameters for topic %q", ErrConfig, name)
	}
	return *tp, nil
}

// TuneParamsOf returns the searched parameters as s has them.
func TuneParamsOf(s Scenario) (TuneParams, error) {
	tp, err := s.topicScore()
	if err != nil {
		return TuneParams{}, err
	}
	th := s.thresholds()
	g := s.scoreParamsFor(s.attackedTopic())
	return TuneParams{
		MeshMessageDeliveriesThreshold:  tp.MeshMessageDeliveriesThreshold,
		MeshMessageDeliveriesWeight:     tp.MeshMessageDeliveriesWeight,
		InvalidMessageDeliveriesWeight:  tp.InvalidMessageDeliveriesWeight,
		BehaviourPenaltyWeight:          g.BehaviourPenaltyWeight,
		IPColocationFactorWeight:        g.IPColocationFactorWeight,
		GossipThreshold:                 th.GossipThreshold,
		PublishThreshold:                th.PublishThreshold,
		GraylistThreshold:               th.GraylistThreshold,
		MeshFailurePenaltyWeight:        tp.MeshFailurePenaltyWeight,
		MeshMessageDeliveriesActivation: tp.MeshMessageDeliveriesActivation,
		OpportunisticGraftThreshold:     th.OpportunisticGraftThreshold,
	}, nil
}

// WithTuneParams returns s with c's parameters: in the attacked topic's
// score parameters (Topics[0].Score when s has topics, and in what
// ScoreParams returns for it: P3, P3b, P4), P7's and P6's weights in every
// topic's score.Params (P6's threshold the default's when below 1), and
// the thresholds (opportunistic grafting's included). A decay a weight
// needs that s leaves invalid (a weight that was 0) takes
// score.DefaultParams' value, and the P3 cap is raised to the threshold
// when below.
func (s Scenario) WithTuneParams(c TuneParams) (Scenario, error) {
	tp, err := s.topicScore()
	if err != nil {
		return s, err
	}
	def, defG := score.DefaultTopicParams(), score.DefaultParams(Topic)
	fixDecay := func(d *float64, dflt float64) {
		if !(*d > 0 && *d < 1) {
			*d = dflt
		}
	}
	tp.MeshMessageDeliveriesThreshold = c.MeshMessageDeliveriesThreshold
	tp.MeshMessageDeliveriesWeight = c.MeshMessageDeliveriesWeight
	tp.MeshMessageDeliveriesCap = max(tp.MeshMessageDeliveriesCap, c.MeshMessageDeliveriesThreshold)
	fixDecay(&tp.MeshMessageDeliveriesDecay, def.MeshMessageDeliveriesDecay)
	tp.InvalidMessageDeliveriesWeight = c.InvalidMessageDeliveriesWeight
	fixDecay(&tp.InvalidMessageDeliveriesDecay, def.InvalidMessageDeliveriesDecay)
	tp.MeshFailurePenaltyWeight = c.MeshFailurePenaltyWeight
	fixDecay(&tp.MeshFailurePenaltyDecay, def.MeshFailurePenaltyDecay)
	tp.MeshMessageDeliveriesActivation = c.MeshMessageDeliveriesActivation

	name := s.attackedTopic()
	orig := s
	s.ScoreParams = func(topic string) score.Params {
		p := orig.scoreParamsFor(topic)
		p.BehaviourPenaltyWeight = c.BehaviourPenaltyWeight
		fixDecay(&p.BehaviourPenaltyDecay, defG.BehaviourPenaltyDecay)
		p.IPColocationFactorWeight = c.IPColocationFactorWeight
		if p.IPColocationFactorThreshold < 1 {
			p.IPColocationFactorThreshold = defG.IPColocationFactorThreshold
		}
		if _, ok := p.Topics[name]; ok || topic == name {
			t := tp
			p.Topics[name] = &t
		}
		return p
	}
	if len(s.Topics) > 0 {
		s.Topics = append([]TopicSpec(nil), s.Topics...)
		t := tp
		s.Topics[0].Score = &t
	}
	th := s.thresholds()
	th.GossipThreshold, th.PublishThreshold, th.GraylistThreshold = c.GossipThreshold, c.PublishThreshold, c.GraylistThreshold
	th.OpportunisticGraftThreshold = c.OpportunisticGraftThreshold
	s.Thresholds = th
	return s, nil
}

// tuneSpace maps points of the unit cube to TuneParams. Each weight and
// threshold magnitude is searched on a log scale from a quarter of the
// smaller to four times the larger of its starting value and
// score.DefaultParams' (the default alone when the start is 0); the
// publish threshold as 1–4 times the gossip threshold, the graylist
// threshold as 1.1–8 times the publish threshold. P3's activation is
// searched the same way, in seconds.
type tuneSpace struct {
	lo, hi [tuneDims]float64 // log-scale bounds of each dimension
}

const tuneDims = 11

// newTuneSpace returns the space around start.
func newTuneSpace(start TuneParams) tuneSpace {
	dt, dth, dg := score.DefaultTopicParams(), score.DefaultThresholds(), score.DefaultParams(Topic)
	around := func(s, d float64) (float64, float64) {
		s, d = math.Abs(s), math.Abs(d)
		if s == 0 {
			s = d
		}
		return math.Log(min(s, d) / 4), math.Log(max(s, d) * 4)
	}
	var sp tuneSpace
	sp.lo[0], sp.hi[0] = around(start.MeshMessageDeliveriesThreshold, dt.MeshMessageDeliveriesThreshold)
	sp.lo[1], sp.hi[1] = around(start.MeshMessageDeliveriesWeight, dt.MeshMessageDeliveriesWeight)
	sp.lo[2], sp.hi[2] = around(start.InvalidMessageDeliveriesWeight, dt.InvalidMessageDeliveriesWeight)
	sp.lo[3], sp.hi[3] = around(start.BehaviourPenaltyWeight, dg.BehaviourPenaltyWeight)
	sp.lo[4], sp.hi[4] = around(start.GossipThreshold, dth.GossipThreshold)
	sp.lo[5], sp.hi[5] = 0, math.Log(4)
	sp.lo[6], sp.hi[6] = math.Log(1.1), math.Log(8)
	sp.lo[7], sp.hi[7] = around(start.IPColocationFactorWeight, dg.IPColocationFactorWeight)
	sp.lo[8], sp.hi[8] = around(start.MeshFailurePenaltyWeight, dt.MeshFailurePenaltyWeight)
	sp.lo[9], sp.hi[9] = around(start.MeshMessageDeliveriesActivation.Seconds(), dt.MeshMessageDeliveriesActivation.Seconds())
	sp.lo[10], sp.hi[10] = around(start.OpportunisticGraftThreshold, dth.OpportunisticGraftThreshold)
	return sp
}

// params returns the parameters at u ∈ [0,1]^tuneDims, each rounded to
// three significant digits (rounding is monotone, so the thresholds keep
// their order; the graylist threshold stays ≥ 10 % below the publish
// one).
func (sp *tuneSpace) params(u [tuneDims]float64) TuneParams {
	var v [tuneDims]float64
	for i := range v {
		v[i] = math.Exp(sp.lo[i] + u[i]*(sp.hi[i]-sp.lo[i]))
	}
	g := -round3(v[4])
	p := round3(g * v[5])
	return TuneParams{
		MeshMessageDeliveriesThreshold:  round3(v[0]),
		MeshMessageDeliveriesWeight:     -round3(v[1]),
		InvalidMessageDeliveriesWeight:  -round3(v[2]),
		BehaviourPenaltyWeight:          -round3(v[3]),
		GossipThreshold:                 g,
		PublishThreshold:                p,
		GraylistThreshold:               round3(p * v[6]),
		IPColocationFactorWeight:        -round3(v[7]),
		MeshFailurePenaltyWeight:        -round3(v[8]),
		MeshMessageDeliveriesActivation: time.Duration(round3(v[9]) * float64(time.Second)),
		OpportunisticGraftThreshold:     round3(v[10]),
	}
}

// round3 rounds x to three significant digits.
func round3(x float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	return r
}

// point returns the point of the unit cube nearest to c.
func (sp *tuneSpace) point(c TuneParams) [tuneDims]float64 {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 1
		}
		return a / b
	}
	v := [tuneDims]float64{
		c.MeshMessageDeliveriesThreshold, -c.MeshMessageDeliveriesWeight, -c.InvalidMessageDeliveriesWeight,
		-c.BehaviourPenaltyWeight, -c.GossipThreshold,
		ratio(c.PublishThreshold, c.GossipThreshold), ratio(c.GraylistThreshold, c.PublishThreshold),
		-c.IPColocationFactorWeight, -c.MeshFailurePenaltyWeight, c.MeshMessageDeliveriesActivation.Seconds(),
		c.OpportunisticGraftThreshold,
	}
	var u [tuneDims]float64
	for i, x := range v {
		if x > 0 {
			u[i] = (math.Log(x) - sp.lo[i]) / (sp.hi[i] - sp.lo[i])
		}
		u[i] = min(max(u[i], 0), 1)
	}
	return u
}

// latinHypercube returns n points of the unit cube, one in each of n
// strata of every dimension.
func latinHypercube(rng *rand.Rand, n int) [][tuneDims]float64 {
	pts := make([][tuneDims]float64, n)
	for d := range tuneDims {
		perm := rng.Perm(n)
		for i := range pts {
			pts[i][d] = (float64(perm[i]) + rng.Float64()) / float64(n)
		}
	}
	return pts
}

// neighbour returns a point near u: a Gaussian step of sigma per
// dimension, reflected into [0,1].
func neighbour(rng *rand.Rand, u [tuneDims]float64, sigma float64) [tuneDims]float64 {
	for i := range u {
		x := u[i] + rng.NormFloat64()*sigma
		x = math.Mod(math.Abs(x), 2)
		if x > 1 {
			x = 2 - x
		}
		u[i] = x
	}
	return u
}

// tuneRoundSize is the number of candidates per refinement round: fixed,
// so that the search does not depend on Parallel.
const tuneRoundSize = 4

// Tune searches the score parameters of base (TuneParams: P3's threshold
// and weight, P4's, P6's and P7's weights, the gossip, publish and graylist
// thresholds) over the attack scenarios, each run as
// base.WithAttackOf(attack), and returns the best it found by
// TuneScore.Better, with its runs and those of base's own parameters.
//
// The search makes exactly opt.Budget runs, opt.Parallel at a time.
// Half of the candidates (rounded up) come from a Latin hypercube over
// the space (sim/README.md, "Tuning score parameters") and run with the
// starting parameters; the rest come in rounds of four, each a Gaussian
// step around the best so far, the step shrinking by 0.6 per round. Every
// candidate runs every attack scenario with seed opt.Seed. The result
// depends only on the inputs and opt.Seed, not on opt.Parallel.
//
// A cancelled ctx stops the search once the runs in progress finish; Tune
// then returns ctx's error. An invalid scenario or a failed run is an
// error, wrapping ErrConfig for bad options.
func Tune(ctx context.Context, base Scenario, attacks []Scenario, opt TuneOptions) (*TuneResult, error) {
	na := len(attacks)
	if na == 0 {
		return nil, fmt.Errorf("%w: tune: no attack scenarios", ErrConfig)
	}
	if opt.Budget < 2*na || opt.Budget%na != 0 {
		return nil, fmt.Errorf("%w: tune: budget %d: want a multiple of the %d attack scenarios, at least %d (the starting parameters and one candidate)",
			ErrConfig, opt.Budget, na, 2*na)
	}
	start, err := TuneParamsOf(base)
	if err != nil {
		return nil, fmt.Errorf("sim: tune: %w", err)
	}
	res := &TuneResult{Seed: opt.Seed}
	for _, a := range attacks {
		res.Attacks = append(res.Attacks, a.Name)
	}
	// Check every scenario before spending a run.
	for _, a := range attacks {
		sc, err := base.WithAttackOf(a).WithTuneParams(start)
		if err == nil {
			err = sc.Validate()
		}
		if err != nil {
			return nil, fmt.Errorf("sim: tune: attack scenario %q: %w", a.Name, err)
		}
	}
	t := &tuner{ctx: ctx, base: base, attacks: attacks, opt: opt, res: res}
	sp := newTuneSpace(start)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x74756e65))

	n := opt.Budget/na - 1 // candidates besides the start
	n1 := (n + 1) / 2
	first := []TuneParams{start}
	for _, u := range latinHypercube(rng, n1) {
		first = append(first, sp.params(u))
	}
	if err := t.round(0, first); err != nil {
		return nil, err
	}
	sigma := 0.2
	for r := 1; n1 < n; r++ {
		k := min(tuneRoundSize, n-n1)
		best := sp.point(res.Trials[t.best].Params)
		cands := make([]TuneParams, k)
		for i := range cands {
			cands[i] = sp.params(neighbour(rng, best, sigma))
		}
		if err := t.round(r, cands); err != nil {
			return nil, err
		}
		n1 += k
		sigma *= 0.6
	}
	res.Start, res.StartScore, res.StartResults = start, res.Trials[0].Score, t.results[0]
	res.Best, res.BestScore, res.BestResults = res.Trials[t.best].Params, res.Trials[t.best].Score, t.results[t.best]
	res.Tuned, _ = base.WithTuneParams(res.Best)
	return res, nil
}

// tuner is the state of one Tune.
type tuner struct {
	ctx     context.Context
	base    Scenario
	attacks []Scenario
	opt     TuneOptions
	res     *TuneResult
	results [][]*Result // per trial, per attack
	best    int         // index into res.Trials
}

// round runs every candidate on every attack scenario and records them as
// trials of round r.
func (t *tuner) round(r int, cands []TuneParams) error {
	na := len(t.attacks)
	scs := make([]Scenario, 0, len(cands)*na)
	for _, c := range cands {
		for _, a := range t.attacks {
			sc, err := t.base.WithAttackOf(a).WithTuneParams(c)
			if err != nil {
				return fmt.Errorf("sim: tune: %w", err)
			}
			scs = append(scs, sc)
		}
	}
	rs, err := t.runAll(scs)
	if err != nil {
		return err
	}
	for i, c := range cands {
		per := rs[i*na : (i+1)*na]
		tr := TuneTrial{Params: c, Score: tuneScore(per), Round: r}
		t.res.Trials = append(t.res.Trials, tr)
		t.results = append(t.results, per)
		if k := len(t.res.Trials) - 1; k > 0 && tr.Score.Better(t.res.Trials[t.best].Score) {
			t.best = k
		}
	}
	if w := t.opt.Progress; w != nil {
		b := t.res.Trials[t.best]
		fmt.Fprintf(w, "tune: round %d done (%d/%d runs): best so far candidate %d: min delivery %.4f, false positives %.4f, p99 %.0f ms\n",
			r, t.res.Runs, t.opt.Budget, t.best, b.Score.MinDelivery, b.Score.FalsePositives, b.Score.P99Ms)
	}
	return nil
}

// runAll runs scs with the tune's seed, Parallel at a time, and returns
// their results in scs's order.
func (t *tuner) runAll(scs []Scenario) ([]*Result, error) {
	out := make([]*Result, len(scs))
	errs := make([]error, len(scs))
	// Workers take the next index (no channel: the package's tests
	// declare a function named close).
	var next atomic.Int64
	var mu sync.Mutex // serialises progress lines
	var wg sync.WaitGroup
	for range min(max(t.opt.Parallel, 1), len(scs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t.ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(scs) {
					return
				}
				out[i], errs[i] = Run(scs[i], t.opt.Seed, RunOptions{Workers: WorkersBeside(t.opt.Parallel)})
				if w := t.opt.Progress; w != nil && errs[i] == nil {
					r := out[i]
					mu.Lock()
					fmt.Fprintf(w, "tune: run %d/%d (%s): delivery %.4f, p99 %.0f ms, wall %.1f s\n",
						t.res.Runs+i+1, t.opt.Budget, r.Scenario, r.DeliveryRatio, r.LatP99Ms, r.WallS)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := t.ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: tune: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sim: tune: %w", err)
	}
	t.res.Runs += len(scs)
	return out, nil
}
