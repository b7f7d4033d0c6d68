package score

import (
	"math"
	"time"
)

// ScoreParameterDecay returns the decay factor that takes a counter from 1
// to DefaultDecayToZero in d, when decay is applied every
// DefaultDecayInterval. For example ScoreParameterDecay(time.Minute) is
// 0.01^(1/60) ≈ 0.9261. It returns 0 for d ≤ 0.
func ScoreParameterDecay(d time.Duration) float64 {
	return ScoreParameterDecayWithBase(d, DefaultDecayInterval, DefaultDecayToZero)
}

// ScoreParameterDecayWithBase returns the decay factor that takes a counter
// from 1 to decayToZero in d, when decay is applied every base:
// decayToZero^(base/d). After ⌈d/base⌉ steps a counter that started at 1 or
// less is at most decayToZero; the next step clears it. It returns 0 when d,
// base or decayToZero is not positive.
func ScoreParameterDecayWithBase(d, base time.Duration, decayToZero float64) float64 {
	if d <= 0 || base <= 0 || !(decayToZero > 0) {
		return 0
	}
	steps := float64(d) / float64(base)
	return math.Pow(decayToZero, 1/steps)
}

// DecayFactor is ScoreParameterDecayWithBase with p's DecayInterval and
// DecayToZero: the factor that takes a counter to DecayToZero in d.
func (p *Params) DecayFactor(d time.Duration) float64 {
	return ScoreParameterDecayWithBase(d, p.DecayInterval, p.DecayToZero)
}

// exactDecaySteps is the most steps decayCounter applies one at a time;
// longer gaps (a node that was suspended, a simulator jumping ahead) use a
// closed form, equal to within rounding.
const exactDecaySteps = 64

// decayCounter applies steps decay steps to v: each multiplies by factor and
// clears the value once it falls below toZero. Up to exactDecaySteps it is
// bit-for-bit the same as one call per step, so Refresh cadence does not
// change results; it stops early once v is 0. Beyond that it uses
// factor^steps, so the work stays O(1) whatever the gap. A factor outside
// [0,1) (only possible on a component whose weight is 0) is clamped: ≥ 1
// leaves v alone, ≤ 0 clears it.
func decayCounter(v, factor, toZero float64, steps int64) float64 {
	if v == 0 || steps <= 0 || factor >= 1 || math.IsNaN(factor) {
		return v
	}
	if factor <= 0 {
		return 0
	}
	if steps > exactDecaySteps {
		v *= math.Pow(factor, float64(steps))
		if v < toZero {
			return 0
		}
		return v
	}
	for range steps {
		v *= factor
		if v < toZero {
			return 0
		}
	}
	return v
}
