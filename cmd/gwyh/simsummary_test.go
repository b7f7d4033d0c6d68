package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gwyh/gwyh/sim"
)

// The summary prints what scoring costs, gossip/publish/graylist in
// order, when scoring is on, and nothing about it when it is off.
func TestSimSummaryScoreCost(t *testing.T) {
	r := &sim.Result{Scenario: "x", Scoring: true, Attackers: 2,
		ScoreFPGossip: 0.25, ScoreFPPublish: 0.125, ScoreFPGraylist: 0.0625,
		ScoreFPPeersGossip: 0.5, ScoreFPPeersPublish: 0.375, ScoreFPPeersGraylist: 0.1875,
		ScoreFNGossip: 0.75, ScoreFNPublish: 0.875, ScoreFNGraylist: 0.9375,
		ScoreFNSecondsGossip: 12, ScoreFNSecondsPublish: 13.5, ScoreFNSecondsGraylist: 14}
	var out bytes.Buffer
	printSummary(&out, r)
	want := "  score thresholds gossip/publish/graylist: FP 0.25/0.125/0.0625 of honest pairs, 0.5/0.375/0.188 of honest nodes; FN 0.75/0.875/0.938 of attacker pairs, 12/13.5/14 s above per attacker\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary:\n%s\nlacks\n%s", out.String(), want)
	}
	r.Scoring = false
	out.Reset()
	printSummary(&out, r)
	if strings.Contains(out.String(), "FP") {
		t.Errorf("summary of a run without scoring mentions FP:\n%s", out.String())
	}
}
