package mesh

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// placed builds candidates: zones[i] is peer i+1's zone, rtts[i] its RTT
// in ms (nil: none measured).
func placed(zones []string, rtts []int) []Placed {
	c := make([]Placed, len(zones))
	for i, z := range zones {
		c[i] = Placed{ID: pid(byte(i + 1)), Zone: z}
		if rtts != nil {
			c[i].RTT = time.Duration(rtts[i]) * time.Millisecond
		}
	}
	return c
}

func zonesOf(c []Placed) []string {
	z := make([]string, len(c))
	for i, p := range c {
		z[i] = p.Zone
	}
	return z
}

func countZone(c []Placed, zone string) int {
	n := 0
	for _, p := range c {
		if p.Zone == zone {
			n++
		}
	}
	return n
}

func TestPickZones(t *testing.T) {
	tests := []struct {
		name  string
		prefs Prefs
		have  []string
		cands []string
		k     int
		// want is the multiset of zones picked, sorted.
		want []string
	}{
		{"local keeps one remote", Prefs{Strategy: PreferLocal, Zone: "a", Remote: 1},
			nil, []string{"b", "a", "c", "a", "a", "b"}, 3, []string{"a", "a", "b|c"}},
		{"local: remote already in have", Prefs{Strategy: PreferLocal, Zone: "a", Remote: 1},
			[]string{"c"}, []string{"b", "a", "c", "a", "a", "b"}, 3, []string{"a", "a", "a"}},
		{"local: two remote wanted", Prefs{Strategy: PreferLocal, Zone: "a", Remote: 2},
			[]string{"c"}, []string{"b", "a", "a", "a"}, 2, []string{"a", "b"}},
		{"local: too few local, fill remote", Prefs{Strategy: PreferLocal, Zone: "a", Remote: 1},
			nil, []string{"b", "a", "c", "c"}, 4, []string{"a", "b", "c", "c"}},
		{"hub: one per zone then local", Prefs{Strategy: HubAndSpoke, Zone: "a"},
			nil, []string{"b", "b", "c", "a", "a", "a", "c", "d"}, 5, []string{"a", "a", "b", "c", "d"}},
		{"hub: covered zones skipped", Prefs{Strategy: HubAndSpoke, Zone: "a"},
			[]string{"b", "c"}, []string{"b", "c", "a", "a", "d"}, 3, []string{"a", "a", "d"}},
		{"hub: not enough local", Prefs{Strategy: HubAndSpoke, Zone: "a"},
			nil, []string{"b", "b", "a"}, 3, []string{"a", "b", "b"}},
		{"k larger than cands", Prefs{Strategy: PreferLocal, Zone: "a", Remote: 1},
			nil, []string{"b", "a"}, 5, []string{"a", "b"}},
		{"k zero", Prefs{Strategy: HubAndSpoke, Zone: "a"},
			nil, []string{"b", "a"}, 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(20) {
				rng := rand.New(rand.NewPCG(seed, 1))
				got := zonesOf(tc.prefs.Pick(placed(tc.have, nil), placed(tc.cands, nil), tc.k, rng))
				slices.Sort(got)
				if len(got) != len(tc.want) {
					t.Fatalf("seed %d: picked %v, want %v", seed, got, tc.want)
				}
				for i, w := range tc.want {
					if w == "b|c" {
						if got[i] != "b" && got[i] != "c" {
							t.Fatalf("seed %d: picked %v, want %v", seed, got, tc.want)
						}
					} else if got[i] != w {
						t.Fatalf("seed %d: picked %v, want %v", seed, got, tc.want)
					}
				}
			}
		})
	}
}

// TestPickOrder checks that picks come best first: a PreferLocal pick of
// one with no remote peer chosen yet is the remote one.
func TestPickOrder(t *testing.T) {
	p := Prefs{Strategy: PreferLocal, Zone: "a", Remote: 1}
	for seed := range uint64(20) {
		got := p.Pick(nil, placed([]string{"a", "a", "b", "a"}, nil), 4, rand.New(rand.NewPCG(seed, 2)))
		if got[0].Zone != "b" || countZone(got[1:], "a") != 3 {
			t.Fatalf("seed %d: order %v, want the remote peer first", seed, zonesOf(got))
		}
	}
}

func TestPickFast(t *testing.T) {
	rtts := []int{90, 10, 0, 50, 20, 70, 30, 0}
	zones := make([]string, len(rtts))
	tests := []struct {
		name  string
		share float64
		k     int
		// maxRandom bounds the picks not among the k fastest.
		minFast int
	}{
		{"no random share: the fastest", 0, 3, 3},
		{"a third random", 1.0 / 3, 3, 2},
		{"all random", 1, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Prefs{Strategy: PreferFast, RandomShare: tc.share}
			outside := 0
			for seed := range uint64(200) {
				got := p.Pick(nil, placed(zones, rtts), tc.k, rand.New(rand.NewPCG(seed, 3)))
				fast := 0
				for _, c := range got {
					if c.RTT > 0 && c.RTT <= 30*time.Millisecond {
						fast++
					}
				}
				if fast < tc.minFast {
					t.Fatalf("seed %d: %d of the 3 fastest picked, want ≥ %d (%v)", seed, fast, tc.minFast, got)
				}
				outside += tc.k - fast
			}
			// With share s, s×k picks per call are random, of which
			// 5/8 on average land outside the fastest three.
			if tc.share > 0 && outside == 0 {
				t.Fatal("random share never picked a slower peer")
			}
		})
	}
	// Unmeasured peers come after every measured one.
	p := Prefs{Strategy: PreferFast}
	got := p.Pick(nil, placed(zones, rtts), 6, rand.New(rand.NewPCG(1, 1)))
	for _, c := range got {
		if c.RTT == 0 {
			t.Fatalf("an unmeasured peer was picked before a measured one: %v", got)
		}
	}
}

func TestPickUniformDeterministic(t *testing.T) {
	for _, s := range Strategies() {
		p := Prefs{Strategy: s, Zone: "a", Remote: 1, RandomShare: 0.3}
		c := placed([]string{"a", "b", "a", "c", "a", "b"}, []int{5, 9, 1, 3, 7, 2})
		a := slices.Clone(p.Pick(nil, slices.Clone(c), 3, rand.New(rand.NewPCG(7, 7))))
		b := p.Pick(nil, slices.Clone(c), 3, rand.New(rand.NewPCG(7, 7)))
		if !slices.Equal(a, b) {
			t.Fatalf("%v: same seed, different picks %v and %v", s, a, b)
		}
	}
}

func TestParseStrategy(t *testing.T) {
	for _, s := range Strategies() {
		for _, name := range []string{s.String(), "Prefer-Local"} {
			got, err := ParseStrategy(name)
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			if name == s.String() && got != s {
				t.Fatalf("%q parsed as %v", name, got)
			}
		}
		b, _ := s.MarshalText()
		var back Strategy
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("round trip of %v: %v %v", s, back, err)
		}
	}
	if _, err := ParseStrategy("nearest"); !errors.Is(err, ErrStrategy) {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestPrefsValidate(t *testing.T) {
	tests := []struct {
		p  Prefs
		ok bool
	}{
		{Prefs{}, true},
		{Prefs{Strategy: PreferLocal}, false},
		{Prefs{Strategy: PreferLocal, Remote: 1}, true},
		{Prefs{Strategy: PreferFast, RandomShare: 1.5}, false},
		{Prefs{Strategy: Strategy(9)}, false},
		{Prefs{Remote: -1}, false},
	}
	for _, tc := range tests {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.p, err)
		} else if err != nil && !errors.Is(err, ErrStrategy) {
			t.Errorf("%+v: %v does not wrap ErrStrategy", tc.p, err)
		}
	}
}

// TestInRandomShare: about RandomShare of the peers are in the share,
// none at 0 and all at 1, and the set depends on the key.
func TestInRandomShare(t *testing.T) {
	count := func(share float64, key uint64) (n int, in []bool) {
		p := Prefs{Strategy: PreferFast, RandomShare: share}
		for i := range 1000 {
			var id [32]byte
			id[0], id[1], id[31] = byte(i), byte(i>>8), 7
			ok := p.InRandomShare(key, id)
			in = append(in, ok)
			if ok {
				n++
			}
		}
		return n, in
	}
	if n, _ := count(0, 1); n != 0 {
		t.Fatalf("share 0: %d in", n)
	}
	if n, _ := count(1, 1); n != 1000 {
		t.Fatalf("share 1: %d of 1000 in", n)
	}
	n, a := count(1.0/3, 1)
	if n < 280 || n > 390 {
		t.Fatalf("share 1/3: %d of 1000 in", n)
	}
	_, b := count(1.0/3, 2)
	if slices.Equal(a, b) {
		t.Fatal("two keys drew the same share")
	}
}
