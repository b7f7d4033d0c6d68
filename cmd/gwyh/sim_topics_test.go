package main

import (
	"strings"
	"testing"

	"github.com/gwyh/gwyh/sim"
)

// TestSimSummaryTopics: the summary has one line per topic when the run
// has several, none with one.
func TestSimSummaryTopics(t *testing.T) {
	r := &sim.Result{Scenario: "x", TargetDeliveryRatio: -1, Topics: []sim.TopicResult{
		{Name: "blocks", Messages: 20, DeliveryRatio: 1, LatP50Ms: 140, LatP99Ms: 250, DupPerMsgPerNode: 6.3, MsgBytesPerMsgPerNode: 14666},
		{Name: "txs", Messages: 120, DeliveryRatio: 0.99, LatP50Ms: 141, LatP99Ms: 242, DupPerMsgPerNode: 5.5, MsgBytesPerMsgPerNode: 1380},
	}}
	var b strings.Builder
	printSummary(&b, r)
	for _, want := range []string{
		"  topic blocks: 20 messages  delivery 1.0000  p50 140 ms  p99 250 ms  duplicates/msg/node 6.30  message bytes/msg/node 14666\n",
		"  topic txs: 120 messages  delivery 0.9900  p50 141 ms  p99 242 ms  duplicates/msg/node 5.50  message bytes/msg/node 1380\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	r.Topics = nil
	b.Reset()
	printSummary(&b, r)
	if strings.Contains(b.String(), "topic ") {
		t.Errorf("one-topic summary has topic lines:\n%s", b.String())
	}
}

// TestSimFlagsEveryTopic: -messages, -size and -warm change every topic
// of a run with several, and leave the scenario's own Traffic zero.
func TestSimFlagsEveryTopic(t *testing.T) {
	sc, _ := sim.Lookup("baseline")
	tr := sc.Traffic
	sc.Traffic = sim.Traffic{}
	sc.Topics = []sim.TopicSpec{{Name: "a", Traffic: tr}, {Name: "b", Traffic: tr}}
	orig := sc.Topics[0].Traffic
	f := simFlags{nodes: 30, messages: 7, size: 100, warm: 3}
	got := withFlags(sc, f)
	if err := got.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got.Traffic != (sim.Traffic{}) {
		t.Errorf("Traffic = %+v, want zero", got.Traffic)
	}
	for _, tp := range got.Topics {
		tt := tp.Traffic
		if tt.Messages != 7 || tt.Size != 100 || tt.WarmRate != 3 {
			t.Errorf("topic %s: Messages %d Size %d WarmRate %v, want 7, 100, 3", tp.Name, tt.Messages, tt.Size, tt.WarmRate)
		}
	}
	if sc.Topics[0].Traffic != orig {
		t.Errorf("withFlags changed the caller's Topics")
	}
}
