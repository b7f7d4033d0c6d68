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

// runHarness is the 100-router scenario; it returns the hash of all
// outputs.
func runHarness(t testing.TB, seed uint64, routers, msgs int) []byte {
	nt := newTestNet(t, routers, seed, nil)
	rng := rand.New(rand.NewPCG(seed, 99))
	nt.connectRandom(20, rng)
	nt.joinAll("t")
	nt.advance(5*time.Second, 100*time.Millisecond)
	p := DefaultParams()
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	ids := make([]string, msgs)
	for k := 0; k < msgs; k++ {
		ids[k] = nt.publish(rng.IntN(routers), "t", uint64(k), 256)
		nt.run()
		if k%20 == 19 {
			nt.advance(100*time.Millisecond, 100*time.Millisecond)
		}
	}
	nt.advance(3*time.Second, 100*time.Millisecond)
	nt.checkDelivered("message", ids)
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	return nt.hash.Sum(nil)
}

func TestHarness100Routers(t *testing.T) {
	msgs := 1000
	if testing.Short() || raceOn {
		msgs = 200 // the full 1000 run without -race
	}
	runHarness(t, 1, 100, msgs)
}

func TestDeterminism(t *testing.T) {
	a := runHarness(t, 7, 30, 100)
	b := runHarness(t, 7, 30, 100)
	c := runHarness(t, 8, 30, 100)
	if string(a) != string(b) {
		t.Fatal("same seed, same inputs: outputs differ")
	}
	if string(a) == string(c) {
		t.Fatal("different seeds gave identical outputs; the hash does not see randomness")
	}
}

// TestHarnessStrictSign runs a small network under the default policy:
// signed messages with author ‖ seqno ids travel through Pack and Decode
// and verify everywhere.
func TestHarnessStrictSign(t *testing.T) {
	nt := newTestNet(t, 12, 5, func(i int, c *Config) {
		id, err := peer.IdentityFromSeed(append(make([]byte, 31), byte(i)))
		if err != nil {
			t.Fatal(err)
		}
		c.SignaturePolicy, c.Identity, c.ID, c.AppendMessageID = StrictSign, id, peer.ID{}, nil
	})
	nt.connectRandom(6, rand.New(rand.NewPCG(5, 5)))
	nt.joinAll("t")
	nt.advance(3*time.Second, 100*time.Millisecond)
	var ids []string
	for k := 0; k < 20; k++ {
		id, err := nt.rs[k%12].Publish(nt.now, "t", []byte("same payload every time"))
		if err != nil {
			t.Fatal(err)
		}
		nt.drain(k % 12)
		nt.run()
		ids = append(ids, id)
	}
	nt.checkDelivered("message", ids)
	for i := range nt.rs {
		if d := nt.rs[i].Stats().Drops[DropBadSignature]; d != 0 {
			t.Fatalf("router %d rejected %d signatures", i, d)
		}
	}
}

// TestHarnessChurn drops and adds links every 500 ms while messages flow:
// once churn stops and a heartbeat passes, meshes are back in [Dlo, Dhi]
// (every router keeps enough topic peers), and every message published
// after the churn reaches everyone.
func TestHarnessChurn(t *testing.T) {
	const n = 40
	nt := newTestNet(t, n, 11, nil)
	rng := rand.New(rand.NewPCG(11, 11))
	nt.connectRandom(16, rng)
	nt.joinAll("t")
	nt.advance(3*time.Second, 100*time.Millisecond)
	for round := 0; round < 20; round++ {
		for k := 0; k < 4; k++ {
			i, j := rng.IntN(n), rng.IntN(n)
			if i != j && (i+1)%n != j && (j+1)%n != i { // keep the ring
				nt.disconnect(i, j)
			}
			nt.connect(rng.IntN(n), rng.IntN(n))
		}
		nt.run()
		nt.publish(rng.IntN(n), "t", uint64(round), 64)
		nt.run()
		nt.advance(500*time.Millisecond, 100*time.Millisecond)
	}
	nt.advance(2*time.Second, 100*time.Millisecond)
	p := DefaultParams()
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	for k := 0; k < 20; k++ {
		id := nt.publish(rng.IntN(n), "t", uint64(1000+k), 64)
		nt.run()
		nt.checkDelivered("post-churn message", []string{id})
	}
	for i, r := range nt.rs {
		for _, q := range r.Mesh("t") {
			if !nt.links[link(i, nt.idx[q])] {
				t.Fatalf("router %d keeps disconnected peer %d in its mesh", i, nt.idx[q])
			}
		}
	}
}

// rejectBad is a validator rejecting messages whose data byte 8 is 0xBA.
func rejectBad(_ peer.ID, m *rpc.Message) validator.Result {
	if len(m.Data) > 8 && m.Data[8] == 0xBA {
		return validator.Reject
	}
	return validator.Accept
}

// TestScoredNetworkShunsInvalidPublisher runs 30 routers with the real
// Scorer (score.DefaultParams): honest traffic is delivered everywhere, and
// a router publishing invalid messages is pruned from every mesh, then
// graylisted.
func TestScoredNetworkShunsInvalidPublisher(t *testing.T) {
	const n, bad = 30, 0
	scored := withScorer(t, score.DefaultParams("t"), score.DefaultThresholds())
	nt := newTestNet(t, n, 3, func(_ int, c *Config) { scored(c) })
	for i := range nt.rs {
		nt.rs[i].SetValidator("t", TopicValidator{Sync: rejectBad})
	}
	rng := rand.New(rand.NewPCG(3, 3))
	nt.connectRandom(10, rng)
	nt.joinAll("t")
	nt.advance(5*time.Second, 100*time.Millisecond)
	nt.checkMeshBounds("t", DefaultParams().Dlo, DefaultParams().Dhi)
	var honest []string
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
			nt.rs[j].HandleRPC(nt.now, nt.rs[bad].ID(), pub(rpc.Message{Topic: "t", Data: data}))
			nt.drain(j)
		}
		nt.run()
		honest = append(honest, nt.publish(1+k%(n-1), "t", uint64(k), 64))
		nt.run()
		nt.advance(200*time.Millisecond, 100*time.Millisecond)
	}
	badID := nt.rs[bad].ID()
	for i := 1; i < n; i++ {
		if slices.Contains(nt.rs[i].Mesh("t"), badID) {
			t.Errorf("router %d keeps the invalid publisher in its mesh", i)
		}
	}
	nt.checkDelivered("honest message", honest, bad)
	graylisted := uint64(0)
	for i := 1; i < n; i++ {
		graylisted += nt.rs[i].Stats().Drops[DropGraylisted]
	}
	if graylisted == 0 {
		t.Error("the invalid publisher was never graylisted")
	}
}
