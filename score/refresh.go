package score

import "time"

// Refresh is called every heartbeat. It applies one decay step per whole
// DecayInterval elapsed since the last step (as every call carrying now
// does), forgets retained peers whose RetainScore has passed, updates P1
// time in mesh and P3 activation of connected peers, expires stale
// delivery records, and frees the peer handles (peerHandles) that no
// live record holds any more. Retained peers' counters are frozen: they
// do not decay. Its cost is O(peers × topics + expired records + handles).
func (s *Scorer) Refresh(now time.Time) {
	s.advance(now)
	for id, ps := range s.peers { // order-free: each peer is updated on its own
		if !ps.connected {
			if !now.Before(ps.expire) {
				s.dropIP(ps)
				delete(s.peers, id)
				s.handles.detach(ps)
			}
			continue
		}
		ps.stale = true
		for i := range ps.topics {
			ts := &ps.topics[i]
			if ts.inMesh {
				ts.meshTime = max(now.Sub(ts.graftTime), 0)
				if !ts.choked && now.Sub(ts.p3Since) > ts.params.MeshMessageDeliveriesActivation {
					ts.meshMessageDeliveriesActive = true
				}
			}
		}
	}
	s.stats.RecordsExpired += uint64(s.records.expire(now))
	s.handles.release(s.records.head)
}

// advance applies one decay step per whole DecayInterval elapsed since the
// last step to every connected peer's counters. Every method that takes
// now calls it first, so each counter decays exactly as if a ticker fired
// at every interval boundary, whatever the cadence of Refresh: decay is a
// function of elapsed time. The first call starts the decay clock. The
// work is O(peers × topics) at most once per interval, whatever the gap
// (see decayCounter).
func (s *Scorer) advance(now time.Time) {
	steps := s.decaySteps(now)
	if steps == 0 {
		return
	}
	toZero := s.params.DecayToZero
	for _, ps := range s.peers { // order-free: each peer is updated on its own
		if !ps.connected {
			continue
		}
		ps.stale = true
		for i := range ps.topics {
			ps.topics[i].decay(steps, toZero)
		}
		ps.behaviourPenalty = decayCounter(ps.behaviourPenalty, s.params.BehaviourPenaltyDecay, toZero, steps)
	}
}

// decaySteps returns the whole DecayIntervals elapsed since the last decay
// step and moves the decay clock forward by that many intervals.
func (s *Scorer) decaySteps(now time.Time) int64 {
	if s.lastDecay.IsZero() {
		s.lastDecay = now
		s.nextDecay = now.Add(s.params.DecayInterval)
		return 0
	}
	if now.Before(s.nextDecay) {
		return 0 // as elapsed < DecayInterval below, without Sub's cost
	}
	elapsed := now.Sub(s.lastDecay)
	if elapsed < s.params.DecayInterval {
		return 0
	}
	steps := int64(elapsed / s.params.DecayInterval)
	s.lastDecay = s.lastDecay.Add(time.Duration(steps) * s.params.DecayInterval)
	s.nextDecay = s.lastDecay.Add(s.params.DecayInterval)
	return steps
}
