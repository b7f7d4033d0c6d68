package peering

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/peer"
)

func TestChooseTrim(t *testing.T) {
	tests := []struct {
		name  string
		cands []trimCandidate
		high  int
		want  []peer.ID
	}{
		{
			name:  "at the water mark: nobody",
			cands: []trimCandidate{{id: pid(1)}, {id: pid(2)}},
			high:  2,
		},
		{
			name:  "equal peers: smaller ID first",
			cands: []trimCandidate{{id: pid(3)}, {id: pid(1)}, {id: pid(2)}},
			high:  1,
			want:  []peer.ID{pid(1), pid(2)},
		},
		{
			name: "protected last, even with the worst score",
			cands: []trimCandidate{
				{id: pid(1), protected: true, score: -50},
				{id: pid(2), score: 50},
			},
			high: 1,
			want: []peer.ID{pid(2)},
		},
		{
			name: "stale before fresh, before inbound/outbound and score",
			cands: []trimCandidate{
				{id: pid(1), score: -5},
				{id: pid(2), outbound: true, stale: true, score: 5},
			},
			high: 1,
			want: []peer.ID{pid(2)},
		},
		{
			name: "not preferred before preferred, before inbound/outbound and score",
			cands: []trimCandidate{
				{id: pid(1), preferred: true, score: -5},
				{id: pid(2), outbound: true, score: 5},
			},
			high: 1,
			want: []peer.ID{pid(2)},
		},
		{
			name: "stale and preferred before fresh and not preferred",
			cands: []trimCandidate{
				{id: pid(1)},
				{id: pid(2), preferred: true, stale: true},
			},
			high: 1,
			want: []peer.ID{pid(2)},
		},
		{
			name: "inbound before outbound",
			cands: []trimCandidate{
				{id: pid(1), outbound: true, score: -5},
				{id: pid(2), score: 5},
			},
			high: 1,
			want: []peer.ID{pid(2)},
		},
		{
			name: "lowest score first, NaN lowest",
			cands: []trimCandidate{
				{id: pid(1), score: 3}, {id: pid(2), score: -1}, {id: pid(3), score: 1},
				{id: pid(4), score: math.NaN()},
			},
			high: 1,
			want: []peer.ID{pid(4), pid(2), pid(3)},
		},
		{
			name: "direct never, even if that leaves too many; protected when nothing else is left",
			cands: []trimCandidate{
				{id: pid(1), direct: true}, {id: pid(2), protected: true}, {id: pid(3), outbound: true},
			},
			high: 0,
			want: []peer.ID{pid(3), pid(2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.cands)
			got := chooseTrim(tt.cands, tt.high)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("chooseTrim = %v, want %v", got, tt.want)
			}
			if !slices.EqualFunc(before, tt.cands, func(a, b trimCandidate) bool {
				return a.id == b.id && a.outbound == b.outbound && a.direct == b.direct
			}) {
				t.Fatal("chooseTrim modified its input")
			}
		})
	}
}

// trimOracle is the slow, obvious policy: while more than high remain,
// remove the most expendable trimmable peer, found by scanning all of
// them pairwise.
func trimOracle(cands []trimCandidate, high int) []peer.ID {
	left := slices.Clone(cands)
	var out []peer.ID
	worse := func(a, b trimCandidate) bool { // a goes before b
		if a.protected != b.protected {
			return !a.protected
		}
		if a.stale != b.stale {
			return a.stale
		}
		if a.preferred != b.preferred {
			return !a.preferred
		}
		if a.outbound != b.outbound {
			return !a.outbound
		}
		if a.score != b.score {
			return a.score < b.score
		}
		return a.id.Compare(b.id) < 0
	}
	for len(left) > high {
		best := -1
		for i, c := range left {
			if c.direct {
				continue
			}
			if best < 0 || worse(c, left[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, left[best].id)
		left = slices.Delete(left, best, best+1)
	}
	return out
}

// chooseTrim agrees with the oracle on random inputs (scores from a small
// set, so that ties happen; no NaN, which the oracle does not order).
func TestChooseTrimOracle(t *testing.T) {
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := r.IntN(20)
		cands := make([]trimCandidate, n)
		for i := range cands {
			cands[i] = trimCandidate{
				id:        pid(byte(r.IntN(256))),
				direct:    r.IntN(6) == 0,
				protected: r.IntN(4) == 0,
				stale:     r.IntN(3) == 0,
				preferred: r.IntN(2) == 0,
				outbound:  r.IntN(2) == 0,
				score:     float64(r.IntN(5) - 2),
			}
			cands[i].id[1] = byte(i) // unique IDs
		}
		high := r.IntN(n + 2)
		got, want := chooseTrim(cands, high), trimOracle(cands, high)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: chooseTrim(%v, %d) = %v, oracle %v", seed, cands, high, got, want)
		}
	}
}
