package score

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestScoreParameterDecay(t *testing.T) {
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"1 min at 1 s to 0.01", ScoreParameterDecay(time.Minute), math.Pow(0.01, 1.0/60)},
		{"1 h at 1 s to 0.01", ScoreParameterDecay(time.Hour), math.Pow(0.01, 1.0/3600)},
		{"10 s at 2 s to 0.5", ScoreParameterDecayWithBase(10*time.Second, 2*time.Second, 0.5), math.Pow(0.5, 1.0/5)},
		{"one step", ScoreParameterDecayWithBase(time.Second, time.Second, 0.1), 0.1},
		{"zero duration", ScoreParameterDecay(0), 0},
		{"zero base", ScoreParameterDecayWithBase(time.Second, 0, 0.1), 0},
		{"bad decayToZero", ScoreParameterDecayWithBase(time.Second, time.Second, 0), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !closeTo(tc.got, tc.want) {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

// A counter decays with the derived factor to exactly 0 just after the
// derived time, over simulated hours, with irregular Refresh calls.
func TestDecayReachesZeroAtDerivedTime(t *testing.T) {
	cases := []struct {
		name     string
		interval time.Duration
		life     time.Duration
		start    int // invalid messages: P4 counter start
	}{
		{"1 min, 1 s steps", time.Second, time.Minute, 1},
		{"1 h, 1 s steps", time.Second, time.Hour, 1},
		{"6 h, 10 s steps", 10 * time.Second, 6 * time.Hour, 1},
		{"3 h, 1 s steps, counter 1000", time.Second, 3 * time.Hour, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := baseParams(nil)
			p.DecayInterval = tc.interval
			tp := &TopicParams{TopicWeight: 1, InvalidMessageDeliveriesWeight: -1}
			tp.InvalidMessageDeliveriesDecay = p.DecayFactor(tc.life)
			p.Topics = map[string]*TopicParams{"t": tp}
			s := mustNew(t, p)
			a := pid(1)
			s.AddPeer(t0, a, netip.Addr{})
			s.Refresh(t0)
			for i := range tc.start {
				s.RejectMessage(t0, a, string(rune(i)), "t", ReasonInvalid)
			}
			// A counter of c takes life·(1 + log(c)/log(1/DecayToZero)) to reach DecayToZero.
			life := time.Duration(float64(tc.life) * (1 + math.Log(float64(tc.start))/math.Log(100)))
			before := life - 2*tc.interval
			s.Refresh(t0.Add(before / 3)) // irregular calls
			s.Refresh(t0.Add(before/3 + 7*tc.interval/5))
			s.Refresh(t0.Add(before))
			if got := s.Score(a); got >= 0 {
				t.Fatalf("at %v: Score = %v, want < 0", before, got)
			}
			s.Refresh(t0.Add(life + 2*tc.interval))
			if got := s.Score(a); got != 0 {
				t.Fatalf("at %v: Score = %v, want exactly 0", life+2*tc.interval, got)
			}
		})
	}
}

// Refresh at random irregular times gives exactly the same counters as
// Refresh at every DecayInterval, compared whenever both have just run at
// the same instant.
func TestIrregularRefreshEqualsRegular(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		p := DefaultParams("t")
		p.BehaviourPenaltyDecay = 0.9
		tp := p.Topics["t"]
		tp.MeshMessageDeliveriesActivation = 3 * time.Second
		regular, irregular := mustNew(t, p), mustNew(t, p)
		both := []*Scorer{regular, irregular}
		peers := []byte{1, 2, 3}
		for _, s := range both {
			for _, b := range peers {
				s.AddPeer(t0, pid(b), ip("10.0.0.1"))
				s.Graft(t0, pid(b), "t")
			}
			s.Refresh(t0)
		}
		next := t0.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		msg := 0
		for sec := 1; sec <= 600; sec++ {
			now := at(time.Duration(sec) * time.Second)
			// Events inside the second, the same for both.
			for range rng.IntN(4) {
				msg++
				from := pid(peers[rng.IntN(len(peers))])
				id := string(rune(msg))
				ev := now.Add(-time.Duration(rng.IntN(900)+1) * time.Millisecond)
				invalid := rng.IntN(10) == 0
				for _, s := range both {
					if invalid {
						s.RejectMessage(ev, from, id, "t", ReasonInvalid)
					} else {
						s.DeliverMessage(ev, from, id, "t")
					}
				}
				if rng.IntN(20) == 0 {
					regular.AddPenalty(from, 1)
					irregular.AddPenalty(from, 1)
				}
			}
			regular.Refresh(now)
			if !now.Before(next) {
				irregular.Refresh(now)
				next = now.Add(time.Duration(rng.IntN(5000)) * time.Millisecond)
				a, b := regular.Snapshot(now), irregular.Snapshot(now)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("seed %d at %v: regular %+v\nirregular %+v", seed, now.Sub(t0), a, b)
				}
			}
		}
	}
}

// decayCounter is the same as one step at a time: bit for bit up to
// exactDecaySteps, to within rounding beyond.
func TestDecayCounterSteps(t *testing.T) {
	cases := []struct {
		v, f  float64
		steps int64
	}{
		{100, 0.9, 1}, {100, 0.9, 50}, {100, 0.9, 1 << 40}, {5, 0.5, 3}, {0.011, 0.99, 2},
		{1e6, 0.9999, exactDecaySteps}, {1e6, 0.9999, exactDecaySteps + 1}, {1e6, 0.9999, 86400},
		{1e6, 0.999999, 1e9},
	}
	for _, tc := range cases {
		want := tc.v
		for range min(tc.steps, 1e6) {
			want *= tc.f
			if want < 0.01 {
				want = 0
				break
			}
		}
		got := decayCounter(tc.v, tc.f, 0.01, tc.steps)
		exact := tc.steps <= exactDecaySteps
		if (exact && got != want) || (!exact && !closeTo(got, want) && tc.steps <= 1e6) {
			t.Errorf("decayCounter(%v, %v, %d) = %v, want %v", tc.v, tc.f, tc.steps, got, want)
		}
		if tc.steps > 1e6 && got != 0 {
			t.Errorf("decayCounter(%v, %v, %d) = %v, want 0", tc.v, tc.f, tc.steps, got)
		}
	}
	if got := decayCounter(3, 1, 0.01, 10); got != 3 {
		t.Errorf("factor 1: got %v", got)
	}
	if got := decayCounter(3, 0, 0.01, 10); got != 0 {
		t.Errorf("factor 0: got %v", got)
	}
}
