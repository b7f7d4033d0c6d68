package mesh

import (
	"math/rand/v2"
	"testing"

	"github.com/gwyh/gwyh/peer"
)

// randomID returns a peer ID of random bytes.
func randomID(rng *rand.Rand) peer.ID {
	var id peer.ID
	for i := range id {
		id[i] = byte(rng.Uint32())
	}
	return id
}

// TestPeerSetHasAgainstMap grows a set past linearMax and shrinks it, so
// that Has answers by scan and by search, against a map; ids share long
// prefixes so that comparisons reach their last bytes.
func TestPeerSetHasAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([]peer.ID, 64)
	for i := range ids {
		ids[i] = randomID(rng)
		if i%2 == 1 {
			ids[i] = ids[i-1]
			ids[i][31] ^= 1 // differs from its neighbour in the last byte only
		}
	}
	var s PeerSet
	in := map[peer.ID]bool{}
	for step := range 4000 {
		id := ids[rng.IntN(len(ids))]
		if grow := step%1000 < 600; grow {
			s.Add(id)
			in[id] = true
		} else {
			s.Remove(id)
			delete(in, id)
		}
		for _, q := range ids {
			if s.Has(q) != in[q] {
				t.Fatalf("step %d, %d peers: Has = %v, want %v", step, s.Len(), s.Has(q), in[q])
			}
		}
	}
}

// BenchmarkPeerSetHas is the forwarding path's question (is this mesh
// peer choking us?) on a set of 8, half the lookups absent.
func BenchmarkPeerSetHas(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s PeerSet
	probe := make([]peer.ID, 16)
	for i := range probe {
		probe[i] = randomID(rng)
		if i%2 == 0 {
			s.Add(probe[i])
		}
	}
	b.ResetTimer()
	n := 0
	for i := range b.N {
		if s.Has(probe[i%len(probe)]) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no hits")
	}
}
