package peering

import (
	"cmp"
	"slices"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// PreferFast's keeps. A candidate's RTT is unknown until a session with
// it is up, so choosing dials by RTT is impossible; instead a PreferFast
// Manager samples and keeps. When it has at least Low and fewer than
// min(2 × Low, High) peers and nothing in flight, it dials one more
// candidate at random (an exploring dial), at most every exploreRounds
// maintenance rounds; the gap grows by one round, up to maxExploreRounds,
// each time the previous exploring dial did not last (it failed, or its peer was
// closed as slow), and returns to exploreRounds when it did, so that a
// node whose sessions are already the fastest it can find stops spending
// handshakes. And every round in which it has more than Low peers it
// closes its slowest session when that session is
//   - outbound (our own choice: an inbound session is the other node's,
//     and over a symmetric link it is as slow for that node, which trims
//     it itself if it runs PreferFast),
//   - not in any mesh (View.Protected), not a direct peer,
//   - measured and slower than the median of the measured sessions,
//   - scoring no more than their median score (an attacker that answers
//     fastest but delivers nothing scores lower than the honest peers
//     that deliver: it cannot push them out, however many it is),
//   - not in the random share (Prefs.RandomShare of the peers, by a draw
//     keyed by a secret of this Manager), so that peers answering fastest
//     cannot push every slower honest peer out.
//
// So sessions stay between Low and High, and drift toward the fastest of
// the peers sampled, at most one exploring dial and one close per round. The router's PreferFast swaps its slow mesh peers out,
// which leaves them unprotected here.

// exploreRounds and maxExploreRounds bound the maintenance rounds between
// exploring dials.
const (
	exploreRounds    = 1
	maxExploreRounds = 64
)

// exploreWant returns 1 when PreferFast should make an exploring dial now,
// and schedules the next one.
func (m *Manager) exploreWant(now time.Time, live int) int {
	if m.cfg.Prefs.Strategy != mesh.PreferFast || live < m.cfg.Low || live >= min(2*m.cfg.Low, m.cfg.High) ||
		len(m.dialing) > 0 || now.Before(m.nextExplore) {
		return 0
	}
	switch _, up := m.sessions[m.explored]; {
	case m.explored.IsZero() || up:
		m.exploreGap = exploreRounds
	default:
		m.exploreGap = min(m.exploreGap+exploreRounds, maxExploreRounds)
	}
	m.nextExplore = now.Add(time.Duration(m.exploreGap) * m.cfg.Interval)
	m.stats.Explores++
	return 1
}

// trimSlow closes PreferFast's slowest eligible session while more than
// Low are live (see above); v may be nil (then nothing is known of RTTs).
func (m *Manager) trimSlow(now time.Time, v View) {
	if m.cfg.Prefs.Strategy != mesh.PreferFast || v == nil || m.live() <= m.cfg.Low {
		return
	}
	// One pass asks the View about every measured session; medians come
	// from copies, as median sorts.
	ss := m.slow[:0]
	for id, s := range m.sessions {
		if rtt := v.Placement(id).RTT; !s.closing && rtt > 0 {
			ss = append(ss, slowCandidate{id: id, rtt: rtt, score: v.Score(id), outbound: s.outbound})
		}
	}
	m.slow = ss
	if len(ss) == 0 {
		return
	}
	rtts, scores := m.rtts[:0], m.scores[:0]
	for _, c := range ss {
		rtts, scores = append(rtts, c.rtt), append(scores, c.score)
	}
	m.rtts, m.scores = rtts, scores
	medRTT, medScore := median(rtts), median(scores)
	var victim *slowCandidate
	for i := range ss {
		c := &ss[i]
		if !c.outbound || c.rtt <= medRTT || c.score > medScore {
			continue
		}
		if victim != nil && (c.rtt < victim.rtt || c.rtt == victim.rtt && c.id.Compare(victim.id) > 0) {
			continue
		}
		if v.Protected(c.id) || m.cfg.Prefs.InRandomShare(m.shareKey, c.id) {
			continue
		}
		if e := m.tab.byID(c.id); e != nil && e.src == SourceDirect {
			continue
		}
		victim = c
	}
	if victim == nil {
		return
	}
	m.stats.SlowTrims++
	m.keepOut(now, victim.id, "slow", victim.rtt.String())
}

// slowCandidate is a measured session as trimSlow sees it.
type slowCandidate struct {
	id       peer.ID
	rtt      time.Duration
	score    float64
	outbound bool
}

// median returns the upper median of d (not empty), which it sorts.
func median[T cmp.Ordered](d []T) T {
	slices.Sort(d)
	return d[len(d)/2]
}
