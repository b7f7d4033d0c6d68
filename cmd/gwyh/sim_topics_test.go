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
