package sim

import (
	"testing"
	"time"
)

// TestCrash150: 10% of 150 honest nodes, the seed among them, die at
// once; every live node's membership learns every death, and messages
// published after the crash reach every live node.
func TestCrash150(t *testing.T) {
	const seed = 1
	t.Parallel()
	// 400 messages from 20 s at 50 a second, the crash at 22 s: delivery
	// is measured on both sides of it, detection until the end.
	s := small(t, "crash", 150, 400)
	s.Net.Crash.At = startSpread + 12*time.Second
	if testing.Short() {
		// Fewer nodes, the same timing: traffic from 20 s, the crash at
		// 22 s (a crash before the traffic leaves no delivery before it).
		s = small(t, "crash", 60, 600)
		s.Net.Crash.At = startSpread + 12*time.Second
	}
	r := run(t, s, seed)
	t.Logf("seed %d: crashed %d, detection p50 %v s p99 %v s last %v s, pairs unknown before the crash %d, false positives %d, delivery before %v after %v",
		seed, r.Crashed, r.DetectP50S, r.DetectP99S, r.DetectLastS, r.DetectUnknown, r.FalsePositives, r.DeliveryBeforeCrash, r.DeliveryAfterCrash)
	if want := s.Nodes / 10; r.Crashed != want {
		t.Errorf("seed %d: %d crashed, want %d", seed, r.Crashed, want)
	}
	if r.DetectMissed != 0 || r.DetectLastS <= 0 {
		t.Errorf("seed %d: %d (dead, live) pairs never learnt; last detection %v s", seed, r.DetectMissed, r.DetectLastS)
	}
	if r.DeliveryAfterCrash < 0.99 || r.DeliveryBeforeCrash < 0.99 {
		t.Errorf("seed %d: delivery before the crash %v, after %v, want ≥ 0.99", seed, r.DeliveryBeforeCrash, r.DeliveryAfterCrash)
	}
	if r.FalsePositives != 0 {
		t.Errorf("seed %d: %d false positives: %v", seed, r.FalsePositives, r.FalsePositiveLog)
	}
}

// TestLossyNoFalsePositives: with 5% loss and stalled nodes (1–2 s), no
// healthy node is declared dead at 150 nodes (sim/README.md, "Membership",
// for 400 and 1,000).
func TestLossyNoFalsePositives(t *testing.T) {
	const seed = 1
	t.Parallel()
	// 500 messages: stalls run from 20 s to the end of the traffic.
	r := run(t, small(t, "lossy", 150, 500), seed)
	if r.FalsePositives != 0 || r.Stalls == 0 {
		t.Errorf("seed %d: %d false positives (%d stalls): %v", seed, r.FalsePositives, r.Stalls, r.FalsePositiveLog)
	}
	if r.DeliveryRatio < 0.99 {
		t.Errorf("seed %d: delivery %v", seed, r.DeliveryRatio)
	}
}

// TestChurnRejoins: churned nodes rejoin through the seed with a new
// incarnation, and every live node learns of them.
func TestChurnRejoins(t *testing.T) {
	t.Parallel()
	const seed = 1
	r := run(t, small(t, "churn", 60, 600), seed)
	t.Logf("seed %d: joins measured %d (slowest %v s), unknown %d, view converged %v s", seed, r.JoinsMeasured, r.JoinKnownAllS, r.JoinsUnknown, r.ViewConvergeS)
	if r.JoinsMeasured == 0 || r.JoinKnownAllS <= 0 {
		t.Errorf("seed %d: no rejoin became known to all (%d measured, %d unknown)", seed, r.JoinsMeasured, r.JoinsUnknown)
	}
	if r.MemberEvents["leave"] == 0 {
		t.Errorf("seed %d: no leave seen: %v", seed, r.MemberEvents)
	}
}
