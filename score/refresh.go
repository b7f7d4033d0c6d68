package score

import "time"

// Refresh is called every heartbeat. It forgets retained peers whose
// RetainScore has passed, applies one decay step per whole DecayInterval
// elapsed since the last step (so calling it late or irregularly gives
// the same counters as calling it at every interval), updates P1 time in
// mesh and P3 activation of connected peers, and expires stale delivery
// records. Retained peers' counters are frozen: they do not decay. The
// first call starts the decay clock.
func (s *Scorer) Refresh(now time.Time) {
	steps := s.decaySteps(now)
	toZero := s.params.DecayToZero
	for id, ps := range s.peers { // order-free: each peer is updated on its own
		if !ps.connected {
			if !now.Before(ps.expire) {
				s.dropIP(ps)
				delete(s.peers, id)
			}
			continue
		}
		for i := range ps.topics {
			ts := &ps.topics[i]
			ts.decay(steps, toZero)
			if ts.inMesh {
				ts.meshTime = max(now.Sub(ts.graftTime), 0)
				if ts.meshTime > ts.params.MeshMessageDeliveriesActivation {
					ts.meshMessageDeliveriesActive = true
				}
			}
		}
		ps.behaviourPenalty = decayCounter(ps.behaviourPenalty, s.params.BehaviourPenaltyDecay, toZero, steps)
	}
	s.stats.RecordsExpired += uint64(s.records.expire(now))
}

// decaySteps returns the whole DecayIntervals elapsed since the last decay
// step and moves the decay clock forward by that many intervals.
func (s *Scorer) decaySteps(now time.Time) int64 {
	if s.lastDecay.IsZero() {
		s.lastDecay = now
		return 0
	}
	elapsed := now.Sub(s.lastDecay)
	if elapsed < s.params.DecayInterval {
		return 0
	}
	steps := int64(elapsed / s.params.DecayInterval)
	s.lastDecay = s.lastDecay.Add(time.Duration(steps) * s.params.DecayInterval)
	return steps
}
