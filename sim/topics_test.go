package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"
)

// TestOneTopicUnchanged: named scenarios, which have no Topics, give the
// Result they gave before several topics existed, byte for byte (the
// hashes were recorded on the code before Scenario.Topics was
// implemented). The hash covers the figures coreFigures lists, not the
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
			s := small(t, "baseline", 100, 200)
			s.Net.Loss = 0.01
			return s
		}, "a117c394e54d0c2d"},
		{"sybil", func(t *testing.T) Scenario {
			s := small(t, "sybil", 100, 200)
			s.Traffic.Start, s.Traffic.WarmStart = 20*time.Second, 5*time.Second
			return s
		}, "1c5f72ddf8917000"},
		{"spam", func(t *testing.T) Scenario {
			s := small(t, "spam", 50, 100)
			s.Traffic.Start, s.Traffic.WarmRate = 5*time.Second, 0
			return s
		}, "9efc2da20517a16c"},
		{"churn", func(t *testing.T) Scenario { return small(t, "churn", 60, 200) }, "7f7e9b176350bf2f"},
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
	b, err := json.Marshal([]any{r.Messages, r.Published, r.DeliveryRatio, r.LatP50Ms, r.LatP90Ms, r.LatP99Ms,
		r.LatMaxMs, r.DupPerMsgPerNode, r.BytesPerMsgPerNode, r.ControlShare, r.RecoveryMs, r.MeshDegreeHist,
		r.DeliveryOverTime, r.Scores, r.MemberBytesPerNodePerS, r.ViewConvergeS, r.Packets, r.AttackerBytes,
		r.DropsLoss, r.DropsOffline, r.RouterDrops, r.RouterEvents, r.SpamSent, r.RouterErrors, r.Violations,
		r.VirtualS, r.latencies})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
