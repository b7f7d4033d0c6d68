package membership

import "time"

// awareness is Lifeguard's local health multiplier (§IV-A): a score in
// [0, max−1]; timeouts and the probe interval are multiplied by score+1.
// A node that misses acks and nacks is probably the slow one, and slows
// itself down instead of accusing healthy members.
type awareness struct {
	score, max int
}

// apply adds delta, clamped to [0, max−1].
func (a *awareness) apply(delta int) {
	a.score = min(max(a.score+delta, 0), a.max-1)
}

// scale multiplies d by score+1.
func (a *awareness) scale(d time.Duration) time.Duration {
	return d * time.Duration(a.score+1)
}
