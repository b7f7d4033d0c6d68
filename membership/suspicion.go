package membership

import (
	"math"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Lifeguard dynamic suspicion (Dadgar et al., §IV-B): a suspicion starts
// with the maximum timeout and shrinks toward the minimum, logarithmically,
// as independent confirmations (suspect updates from other accusers)
// arrive.

// SuspicionTimeout is Lifeguard's suspicion timeout after c independent
// confirmations when k are expected:
//
//	max − (max−min)·log(c+1)/log(k+1), never below min.
//
// With k < 1 it is min.
func SuspicionTimeout(c, k int, min, max time.Duration) time.Duration {
	if k < 1 || max <= min {
		return min
	}
	if c < 0 {
		c = 0
	}
	frac := math.Log(float64(c)+1) / math.Log(float64(k)+1)
	t := time.Duration(float64(max) - frac*float64(max-min))
	if t < min {
		return min
	}
	return t
}

// SuspicionMin is the minimum suspicion timeout for a cluster of n up
// members: SuspicionMult × max(1, log10(n)) × ProbeInterval (memberlist's
// suspicionTimeout).
func (p *Params) SuspicionMin(n int) time.Duration {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return time.Duration(float64(p.SuspicionMult) * scale * float64(p.ProbeInterval))
}

// suspicion is the timer of one suspect member.
type suspicion struct {
	start    time.Time
	k        int           // confirmations expected
	min, max time.Duration // timeout bounds
	accusers []peer.ID     // distinct accusers seen, at most k+1
	// lastChance is set when the timer of an unconfirmed suspicion ran
	// out and a last direct ping went to the suspect; the suspect is
	// declared dead only if this deadline passes too.
	lastChance time.Time
}

// deadline is when the suspect is declared dead (or, unconfirmed, pinged
// a last time).
func (s *suspicion) deadline() time.Time {
	if !s.lastChance.IsZero() {
		return s.lastChance
	}
	c := len(s.accusers) - 1 // the first accuser starts the suspicion
	return s.start.Add(SuspicionTimeout(c, s.k, s.min, s.max))
}

// confirm records accuser; it reports whether it was new (a confirmation).
func (s *suspicion) confirm(accuser peer.ID) bool {
	if len(s.accusers) > s.k {
		return false
	}
	for _, a := range s.accusers {
		if a == accuser {
			return false
		}
	}
	s.accusers = append(s.accusers, accuser)
	return true
}
