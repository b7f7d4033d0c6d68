package sim

import (
	"testing"

	"github.com/gwyh/gwyh/router"
)

// TestChokeLowersDuplicates: on a small baseline run, the choke extension
// (router Params.Choke) delivers every message, as without it, with fewer
// duplicates per message per node.
func TestChokeLowersDuplicates(t *testing.T) {
	t.Parallel()
	const seed = 3
	res := map[bool]*Result{}
	for _, choke := range []bool{false, true} {
		s := small(t, "baseline", 60, 150)
		s.Params = router.DefaultParams()
		s.Params.Choke, s.Params.ChokeMinRate = choke, 0 // the baseline's 50 msgs/s are under the default
		res[choke] = run(t, s, seed)
	}
	off, on := res[false], res[true]
	if off.DeliveryRatio != 1 || on.DeliveryRatio != 1 {
		t.Fatalf("seed %d: delivery %v off, %v on; want 1", seed, off.DeliveryRatio, on.DeliveryRatio)
	}
	if on.DupPerMsgPerNode >= 0.85*off.DupPerMsgPerNode {
		t.Fatalf("seed %d: duplicates per message per node %v with choke, %v without", seed, on.DupPerMsgPerNode, off.DupPerMsgPerNode)
	}
	t.Logf("dup/msg/node %v → %v, bytes/msg/node %v → %v", off.DupPerMsgPerNode, on.DupPerMsgPerNode, off.BytesPerMsgPerNode, on.BytesPerMsgPerNode)
}

// TestChokeStandsAsideAtLightLoad: with the default ChokeMinRate, the
// baseline's 50 msgs/s of 256 B (about 17 KB/s) never engage choke: the
// run is the run without it, byte for byte.
func TestChokeStandsAsideAtLightLoad(t *testing.T) {
	t.Parallel()
	const seed = 3
	res := map[bool][]byte{}
	for _, choke := range []bool{false, true} {
		s := small(t, "baseline", 60, 150)
		s.Params = router.DefaultParams()
		s.Params.Choke = choke
		res[choke] = canonical(t, run(t, s, seed))
	}
	if string(res[false]) != string(res[true]) {
		t.Fatalf("seed %d: choke on at light load differs from off:\n%s\n%s", seed, res[false], res[true])
	}
}
