package mesh

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// legacySelectKeep is SelectKeep as it was before strategies, kept as an
// oracle: Uniform must choose the same peers and draw the same numbers.
func legacySelectKeep(cands []Candidate, d, dscore, dout int, rng *rand.Rand) int {
	if d >= len(cands) {
		return len(cands)
	}
	if dscore > d {
		dscore = d
	}
	shuffle(cands, rng)
	slices.SortStableFunc(cands, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	rest := cands[dscore:]
	shuffle(rest, rng)
	out := 0
	for _, c := range cands[:dscore] {
		if c.Outbound {
			out++
		}
	}
	free := d - dscore
	for i := 0; i < len(rest) && out < dout && i < free; i++ {
		j := i
		for j < len(rest) && !rest[j].Outbound {
			j++
		}
		if j == len(rest) {
			break
		}
		c := rest[j]
		copy(rest[i+1:j+1], rest[i:j])
		rest[i] = c
		out++
	}
	for i := d - 1; i >= 0 && out < dout; i-- {
		if cands[i].Outbound {
			continue
		}
		j := d
		for j < len(cands) && !cands[j].Outbound {
			j++
		}
		if j == len(cands) {
			break
		}
		cands[i], cands[j] = cands[j], cands[i]
		out++
	}
	return d
}

// randomMesh returns n candidates with scores in [0,5), a third outbound,
// zones among a..e and RTTs of 1..200 ms.
func randomMesh(n int, rng *rand.Rand) []Candidate {
	c := make([]Candidate, n)
	for i := range c {
		c[i] = Candidate{
			ID: pid(byte(i + 1)), Score: float64(rng.IntN(5)), Outbound: rng.IntN(3) == 0,
			Zone: string(rune('a' + rng.IntN(5))), RTT: time.Duration(1+rng.IntN(200)) * time.Millisecond,
		}
	}
	return c
}

func TestSelectKeepUniformIsLegacy(t *testing.T) {
	gen := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 2000; iter++ {
		n, d := gen.IntN(20), gen.IntN(10)
		dscore, dout := gen.IntN(d+1), gen.IntN(d/2+1)
		a := randomMesh(n, gen)
		b := slices.Clone(a)
		seed := gen.Uint64()
		ra, rb := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
		p := Prefs{Strategy: Uniform, Zone: "a", Remote: 2}
		ka := p.SelectKeep(a, d, dscore, dout, ra)
		kb := legacySelectKeep(b, d, dscore, dout, rb)
		if ka != kb || !slices.Equal(a, b) || ra.Uint64() != rb.Uint64() {
			t.Fatalf("iter %d: Uniform differs from the legacy SelectKeep", iter)
		}
	}
}

// remoteCount counts the candidates outside zone.
func remoteCount(cs []Candidate, zone string) int {
	n := 0
	for _, c := range cs {
		if c.Zone != zone {
			n++
		}
	}
	return n
}

// TestSelectKeepStrategiesOracle checks Prefs.SelectKeep against the rules
// stated plainly, for every strategy: d kept, the dscore best among them,
// the outbound quota, and (without an outbound quota, which may displace
// strategy picks) the strategy's share of the free places.
func TestSelectKeepStrategiesOracle(t *testing.T) {
	gen := rand.New(rand.NewPCG(5, 6))
	for _, s := range Strategies() {
		p := Prefs{Strategy: s, Zone: "a", Remote: 2}
		for iter := 0; iter < 1500; iter++ {
			n, d := gen.IntN(20), gen.IntN(10)
			dscore, dout := gen.IntN(d+1), gen.IntN(d/2+1)
			if iter%2 == 0 {
				dout = 0
			}
			orig := randomMesh(n, gen)
			c := slices.Clone(orig)
			k := p.SelectKeep(c, d, dscore, dout, rand.New(rand.NewPCG(uint64(iter), 9)))
			name := fmt.Sprintf("%v iter %d n=%d d=%d dscore=%d dout=%d", s, iter, n, d, dscore, dout)
			if k != min(d, n) {
				t.Fatalf("%s: kept %d", name, k)
			}
			if k == n {
				continue
			}
			if dscore+dout <= d {
				checkBest(t, name, c[:k], orig, dscore)
			}
			outTotal, out := 0, 0
			for i, x := range c {
				if x.Outbound {
					outTotal++
					if i < k {
						out++
					}
				}
			}
			if out < min(dout, outTotal) {
				t.Fatalf("%s: %d outbound kept", name, out)
			}
			if dout > 0 {
				continue
			}
			// Without dout, c[:dscore] are the dscore best and c[dscore:k]
			// the strategy's picks among c[dscore:].
			best, picks, rest := c[:dscore], c[dscore:k], c[dscore:]
			free := k - dscore
			switch s {
			case PreferLocal:
				need := max(0, p.Remote-remoteCount(best, "a"))
				remote := remoteCount(rest, "a")
				local := len(rest) - remote
				first := min(need, remote, free)
				want := first + max(0, min(remote-first, free-first-local))
				if got := remoteCount(picks, "a"); got != want {
					t.Fatalf("%s: %d remote picks, want %d (%v)", name, got, want, picks)
				}
			case HubAndSpoke:
				covered := map[string]bool{}
				for _, x := range best {
					covered[x.Zone] = true
				}
				lacking := map[string]bool{}
				for _, x := range rest {
					if x.Zone != "a" && !covered[x.Zone] {
						lacking[x.Zone] = true
					}
				}
				got := map[string]bool{}
				for _, x := range picks {
					if lacking[x.Zone] {
						got[x.Zone] = true
					}
				}
				if len(got) != min(len(lacking), free) {
					t.Fatalf("%s: picks cover %d lacking zones of %d", name, len(got), len(lacking))
				}
			}
		}
	}
}

func TestSelectKeepPreferFastKeepsFastest(t *testing.T) {
	// Ten peers of equal score, RTT i ms; dscore 2 keeps two at random
	// among the ties, the other four places go to the fastest left.
	p := Prefs{Strategy: PreferFast}
	for seed := range uint64(50) {
		c := make([]Candidate, 10)
		for i := range c {
			c[i] = Candidate{ID: pid(byte(i + 1)), RTT: time.Duration(i+1) * time.Millisecond}
		}
		k := p.SelectKeep(c, 6, 2, 0, rand.New(rand.NewPCG(seed, 1)))
		var restRTT []time.Duration
		for _, x := range c[2:] {
			restRTT = append(restRTT, x.RTT)
		}
		picks := slices.Clone(restRTT[:k-2])
		slices.Sort(restRTT)
		slices.Sort(picks)
		if !slices.Equal(picks, restRTT[:4]) {
			t.Fatalf("seed %d: kept %v beyond dscore, want the 4 fastest of %v", seed, picks, restRTT)
		}
	}
}

func TestOrder(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// Peers 1..8: zone and RTT.
	in := []Placed{
		{ID: pid(1), Zone: "b", RTT: ms(40)},
		{ID: pid(2), Zone: "a", RTT: ms(9)},
		{ID: pid(3), Zone: "c", RTT: ms(90)},
		{ID: pid(4), Zone: "a", RTT: 0},
		{ID: pid(5), Zone: "b", RTT: ms(30)},
		{ID: pid(6), Zone: "a", RTT: ms(2)},
		{ID: pid(7), Zone: "c", RTT: 0},
		{ID: pid(8), Zone: "b", RTT: ms(30)},
	}
	tests := []struct {
		s    Strategy
		want []byte
	}{
		{Uniform, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		// local by RTT (unmeasured last), then remote by RTT, ties by ID.
		{PreferLocal, []byte{6, 2, 4, 5, 8, 1, 3, 7}},
		// the fastest of b (5, before 8 by ID) and of c, then local, then
		// the other remote.
		{HubAndSpoke, []byte{5, 3, 6, 2, 4, 8, 1, 7}},
		{PreferFast, []byte{6, 2, 5, 8, 1, 3, 4, 7}},
	}
	for _, tc := range tests {
		p := Prefs{Strategy: tc.s, Zone: "a", Remote: 1}
		s := slices.Clone(in)
		p.Order(s)
		got := make([]byte, len(s))
		for i, x := range s {
			got[i] = x.ID[0]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: order %v, want %v", tc.s, got, tc.want)
		}
	}
}
