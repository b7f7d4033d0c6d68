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
		s.Params.Choke = choke
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
