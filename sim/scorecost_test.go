package sim

import (
	"math"
	"testing"
	"time"

	"github.com/gwyh/gwyh/score"
)

// thresholdsAt returns valid score thresholds with the gossip threshold at
// g and the publish and graylist ones below it.
func thresholdsAt(g float64) score.Thresholds {
	return score.Thresholds{GossipThreshold: g, PublishThreshold: 2 * g, GraylistThreshold: 4 * g, AcceptPXThreshold: 10, OpportunisticGraftThreshold: 1}
}

// The false positives of a run without attackers and without warm-up
// traffic: P3 activates 10 s after the meshes form, but messages start
// only at 20 s, so mesh peers run a delivery deficit for a few seconds.
// A threshold just below 0 puts some honest peers below it (a few
// percent of the pairs, most nodes at some check); one far below every
// honest score puts none.
func TestScoreCostFalsePositives(t *testing.T) {
	t.Parallel()
	base := small(t, "baseline", 30, 100)
	harsh, lenient, off := base, base, base
	harsh.Thresholds = thresholdsAt(-1e-3)
	lenient.Thresholds = thresholdsAt(-1e4)
	off.Scoring = false
	for _, tc := range []struct {
		name string
		s    Scenario
		fp   bool // FP > 0 expected (else FP == 0)
	}{
		{"harsh", harsh, true},
		{"lenient", lenient, false},
		{"scoring off", off, false},
	} {
		r := run(t, tc.s, 1)
		fp := []float64{r.ScoreFPGossip, r.ScoreFPPublish, r.ScoreFPGraylist}
		peers := []float64{r.ScoreFPPeersGossip, r.ScoreFPPeersPublish, r.ScoreFPPeersGraylist}
		fn := []float64{r.ScoreFNGossip, r.ScoreFNPublish, r.ScoreFNGraylist, r.ScoreFNSecondsGossip, r.ScoreFNSecondsPublish, r.ScoreFNSecondsGraylist}
		var sampled float64
		for _, smp := range r.Scores {
			sampled = math.Max(sampled, smp.FPGossip)
			if smp.FNGossip != 0 || smp.FNPublish != 0 || smp.FNGraylist != 0 {
				t.Errorf("%s: t=%v s: false negatives %v/%v/%v without attackers", tc.name, smp.TS, smp.FNGossip, smp.FNPublish, smp.FNGraylist)
			}
		}
		for _, v := range fn {
			if v != 0 {
				t.Errorf("%s: false negatives %v without attackers", tc.name, fn)
				break
			}
		}
		if !tc.fp {
			if fp[0] != 0 || peers[0] != 0 || sampled != 0 {
				t.Errorf("%s: FP %v, peers %v, largest sampled %v; want 0", tc.name, fp, peers, sampled)
			}
			continue
		}
		// A stricter threshold catches at most as many; the deficit is
		// brief, so a small share of pairs over the run, but most nodes.
		if !(fp[0] > 0 && fp[0] < 0.2 && fp[0] >= fp[1] && fp[1] >= fp[2]) {
			t.Errorf("%s: FP gossip/publish/graylist %v: want 0 < gossip < 0.2, non-increasing", tc.name, fp)
		}
		if !(peers[0] > 0.5 && peers[0] <= 1 && peers[0] >= peers[1] && peers[1] >= peers[2]) {
			t.Errorf("%s: FP peers %v: want most honest nodes, non-increasing", tc.name, peers)
		}
		if sampled <= fp[0] {
			t.Errorf("%s: largest sampled FP %v not above the run's mean %v", tc.name, sampled, fp[0])
		}
	}
}

// The false negatives of the sybil attack at the default thresholds:
// sybils outside a mesh earn no penalty, so nearly every (honest node,
// sybil) pair stays at or above every threshold the whole attack, and
// no honest peer falls below one.
func TestScoreCostSybil(t *testing.T) {
	t.Parallel()
	s := small(t, "sybil", 12, 50)
	s.Traffic.Start = 30 * time.Second // not 80 s: the scores settle by then
	r := run(t, s, 1)
	if r.ScoreFPGossip != 0 || r.ScoreFPPeersGossip != 0 {
		t.Errorf("FP %v (peers %v): want 0", r.ScoreFPGossip, r.ScoreFPPeersGossip)
	}
	if r.ScoreFNGossip < 0.9 || r.ScoreFNGossip > 1 {
		t.Errorf("FN gossip %v: want ≥ 0.9", r.ScoreFNGossip)
	}
	// Sybils are connected throughout, so their mean time above is
	// about the share above times the attack's length (checks at 1 s).
	window := math.Floor(r.VirtualS - s.Attack.Start.Seconds() + 1)
	if want := r.ScoreFNGossip * window; math.Abs(r.ScoreFNSecondsGossip-want) > 0.05*want {
		t.Errorf("FN seconds above gossip %v, want ≈ %v (FN %v × %v s)", r.ScoreFNSecondsGossip, want, r.ScoreFNGossip, window)
	}
	last := r.Scores[len(r.Scores)-1]
	if last.FNGossip < 0.9 || last.FPGossip != 0 {
		t.Errorf("last sample FN %v, FP %v: want FN ≥ 0.9, FP 0", last.FNGossip, last.FPGossip)
	}
}

// The false negatives of the spam attack: spammers send invalid messages
// from the start; within the first second every honest node scores them
// below the gossip threshold but some still above the publish one and
// all above the graylist one, then their connections drop. Their time
// above each threshold grows as the threshold gets stricter, and ends
// within a second or two (the 1 s checks).
func TestScoreCostSpam(t *testing.T) {
	t.Parallel()
	s := small(t, "spam", 30, 50)
	s.SampleEvery = time.Second
	r := run(t, s, 1)
	first := r.Scores[0]
	if !(first.FNGossip < first.FNGraylist && first.FNGraylist > 0) {
		t.Errorf("first sample FN gossip %v, graylist %v: want graylist > gossip", first.FNGossip, first.FNGraylist)
	}
	if last := r.Scores[len(r.Scores)-1]; last.FNGossip != 0 || last.FNGraylist != 0 {
		t.Errorf("last sample FN %v/%v: want 0", last.FNGossip, last.FNGraylist)
	}
	// Below the gossip threshold from the first check on: no time above.
	if r.ScoreFNGossip != 0 || r.ScoreFNSecondsGossip != 0 {
		t.Errorf("FN gossip %v, %v s: want 0", r.ScoreFNGossip, r.ScoreFNSecondsGossip)
	}
	secs := []float64{r.ScoreFNSecondsGossip, r.ScoreFNSecondsPublish, r.ScoreFNSecondsGraylist}
	if !(secs[0] <= secs[1] && secs[1] <= secs[2] && secs[2] > 0 && secs[2] <= 2) {
		t.Errorf("FN seconds gossip/publish/graylist %v: want non-decreasing, in (0, 2]", secs)
	}
	fn := []float64{r.ScoreFNGossip, r.ScoreFNPublish, r.ScoreFNGraylist}
	if !(fn[0] <= fn[1] && fn[1] <= fn[2] && fn[2] > 0 && fn[2] < 0.2) {
		t.Errorf("FN gossip/publish/graylist %v: want non-decreasing, in (0, 0.2)", fn)
	}
	if r.ScoreFPGossip != 0 {
		t.Errorf("FP gossip %v: want 0", r.ScoreFPGossip)
	}
}
