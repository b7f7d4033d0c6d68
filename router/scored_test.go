package router

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// The score package's Scorer is the router's Scorer.
var _ Scorer = (*score.Scorer)(nil)

// rejectBad is a validator rejecting messages whose data starts with 0xBA.
func rejectBad(_ peer.ID, m *rpc.Message) validator.Result {
	if len(m.Data) > 8 && m.Data[8] == 0xBA {
		return validator.Reject
	}
	return validator.Accept
}

// TestScoredNetworkShunsInvalidPublisher runs 30 routers with the real
// Scorer (score.ExampleParams): honest traffic is delivered everywhere, and
// a router publishing invalid messages is pruned from every mesh, then
// graylisted.
func TestScoredNetworkShunsInvalidPublisher(t *testing.T) {
	const n, bad = 30, 0
	nt := newTestNet(t, n, 3, func(i int, c *Config) {
		sc, err := score.New(score.ExampleParams("t"))
		if err != nil {
			t.Fatal(err)
		}
		c.Scorer, c.Thresholds = sc, score.ExampleThresholds()
	})
	for i := range nt.rs {
		nt.rs[i].SetValidator("t", TopicValidator{Sync: rejectBad})
	}
	rng := rand.New(rand.NewPCG(3, 3))
	nt.connectRandom(10, rng)
	nt.joinAll("t")
	nt.advance(5*time.Second, 100*time.Millisecond)
	nt.checkMeshBounds("t", DefaultParams().Dlo, DefaultParams().Dhi)
	for k := 0; k < 40; k++ {
		data := make([]byte, 64)
		data[0], data[7], data[8] = 0xEE, byte(k), 0xBA
		if _, err := nt.rs[bad].Publish(nt.now, "t", data); err == nil {
			t.Fatal("the bad router's own validator should refuse it; publish raw instead")
		}
		nt.drain(bad)
		// Bypass the bad router's own validator: it sends the invalid
		// message straight to its peers, as a malicious node would.
		for _, q := range nt.rs[bad].Peers() {
			j := nt.idx[q]
			nt.rs[j].HandleRPC(nt.now, nt.rs[bad].ID(), &rpc.RPC{Publish: []rpc.Message{{Topic: "t", Data: data}}})
			nt.drain(j)
		}
		nt.run()
		nt.publish(1+k%(n-1), "t", uint64(k), 64)
		nt.run()
		nt.advance(200*time.Millisecond, 100*time.Millisecond)
	}
	badID := nt.rs[bad].ID()
	for i := 1; i < n; i++ {
		if slices.Contains(nt.rs[i].Mesh("t"), badID) {
			t.Errorf("router %d keeps the invalid publisher in its mesh", i)
		}
		for k := 0; k < 40; k++ {
			if nt.deliv[i][msgIDOf(uint64(k))] != 1 {
				t.Fatalf("router %d missed honest message %d", i, k)
			}
		}
	}
	graylisted := uint64(0)
	for i := 1; i < n; i++ {
		graylisted += nt.rs[i].Stats().Drops[DropGraylisted]
	}
	if graylisted == 0 {
		t.Error("the invalid publisher was never graylisted")
	}
}

func msgIDOf(seq uint64) string { return msgID(seq) }
