package peering

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// Tick runs a maintenance round: it expires bans and dials that got no
// answer within DialTimeout, trims the connected peers above High, and
// chooses dials toward Low. Call it once at start and then at or after
// Output.Deadline (earlier calls are harmless). v may be nil.
func (m *Manager) Tick(now time.Time, v View) {
	m.expire(now)
	m.trim(now, v)
	m.trimSlow(now, v)
	wake := m.dial(now, v)
	m.schedule(now, wake)
}

// expire forgets bans that ran out and fails dials that timed out.
func (m *Manager) expire(now time.Time) {
	for id, b := range m.bans {
		if !now.Before(b.until) {
			delete(m.bans, id)
		}
	}
	for i := 0; i < len(m.dialing); {
		if now.Sub(m.dialing[i].started) >= m.cfg.DialTimeout {
			m.stats.DialTimeouts++
			m.failDial(now, i)
			continue
		}
		i++
	}
}

// live returns the number of connected peers not being disconnected.
func (m *Manager) live() int {
	n := 0
	for _, s := range m.sessions {
		if !s.closing {
			n++
		}
	}
	return n
}

// trim disconnects the live peers above High chosen by chooseTrim (the
// strategy's preferences marked by markPreferred) and
// keeps them out for BanDuration, so that they do not reconnect at once.
func (m *Manager) trim(now time.Time, v View) {
	if m.live() <= m.cfg.High {
		return
	}
	cands := make([]trimCandidate, 0, len(m.sessions))
	for id, s := range m.sessions {
		if s.closing {
			continue
		}
		c := trimCandidate{id: id, outbound: s.outbound}
		if e := m.tab.byID(id); e != nil && e.src == SourceDirect {
			c.direct = true
		}
		if v != nil {
			c.score, c.protected, c.stale = v.Score(id), v.Protected(id), v.Stale(id)
		}
		c.placed = m.placement(v, id)
		cands = append(cands, c)
	}
	prefs := m.sessionPrefs()
	markPreferred(&prefs, cands, m.cfg.High, m.cfg.Rand)
	for _, id := range chooseTrim(cands, m.cfg.High) {
		m.stats.Trims++
		m.keepOut(now, id, "trim", "")
	}
}

// dial chooses this round's dials, in this order, while dial slots are
// free: direct peers that are down; seeds that never answered; then
// candidates from the whole table, as many as Low lacks (counting dials
// in flight), chosen by pickDials. If nobody is connected and nothing is in
// flight after that, it retries the seeds regardless of their backoff
// (desperate mode). It returns the earliest time at which a candidate
// it wanted but found backing off or banned becomes dialable, or zero.
func (m *Manager) dial(now time.Time, v View) (wake time.Time) {
	live := m.live()
	want := m.cfg.Low - live
	for _, d := range m.dialing {
		if d.src != SourceDirect {
			want--
		}
	}
	exploring := false
	if want <= 0 && m.exploreWant(now, live) == 1 {
		want, exploring = 1, true
	}
	var direct, seeds, pool []*entry
	if want > 0 {
		m.scratch = m.tab.all(m.scratch[:0])
	} else {
		// Only direct peers and new seeds are wanted, and both are pinned
		// (pin moves a learnt entry there): skip copying the learnt ones.
		m.scratch = append(m.scratch[:0], m.tab.pinned...)
	}
	for _, e := range m.scratch {
		if !m.idle(e) {
			continue
		}
		newSeed := e.src == SourceSeed && !e.answered && !e.forgotten
		wanted := e.src == SourceDirect || newSeed || (want > 0 && !e.forgotten)
		if !wanted {
			continue
		}
		if hold := m.holdUntil(e); now.Before(hold) {
			if wake.IsZero() || hold.Before(wake) {
				wake = hold
			}
			continue
		}
		switch {
		case e.src == SourceDirect:
			direct = append(direct, e)
		case newSeed:
			seeds = append(seeds, e)
		default:
			pool = append(pool, e)
		}
	}
	for _, e := range direct {
		m.startDial(now, e)
	}
	for _, e := range seeds {
		m.startDial(now, e)
		want--
	}
	slices.SortFunc(pool, func(a, b *entry) int { return compareTargets(a.target, b.target) })
	for _, e := range m.pickDials(v, pool, want) {
		m.startDial(now, e)
		if exploring {
			m.explored = e.target.ID
		}
	}
	if live == 0 && len(m.dialing) == 0 {
		m.desperate(now)
	}
	clear(m.scratch)
	return wake
}

// desperate dials every seed that is idle, not banned, and was not dialled
// within DialBackoff, ignoring its grown backoff and whether it answered
// or was forgotten: with nobody connected and nothing to dial, the seeds
// are the only way back into the cluster.
func (m *Manager) desperate(now time.Time) {
	for _, e := range m.tab.pinned {
		if e.src != SourceSeed || !m.idle(e) || m.banned(now, e) {
			continue
		}
		if !e.lastDial.IsZero() && now.Sub(e.lastDial) < m.cfg.DialBackoff {
			continue
		}
		m.stats.Desperate++
		m.startDial(now, e)
	}
}

// pickRandom moves k entries of pool chosen at random to its front (a
// partial Fisher–Yates shuffle) and returns them; all of pool when k ≥
// len(pool), none when k ≤ 0.
func pickRandom[T any](r *rand.Rand, pool []T, k int) []T {
	k = min(max(k, 0), len(pool))
	for i := range k {
		j := i + r.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	return pool[:k]
}

// pickDials chooses k of pool (sorted, every entry with an ID: a
// bare-address entry is a seed or direct peer, dialled before) to dial.
// Uniform picks at random (pickRandom, as before strategies). The others
// order pool by sessionPrefs().Pick, given the peers we have or will
// have: live sessions and dials in flight, placed by placement. Pool
// entries carry their table zone and no RTT (not measured before a
// session), so PreferFast dials at random.
func (m *Manager) pickDials(v View, pool []*entry, k int) []*entry {
	prefs := m.sessionPrefs()
	if prefs.Strategy == mesh.Uniform || k <= 0 {
		return pickRandom(m.cfg.Rand, pool, k)
	}
	have := m.havePlaced(v)
	cands := make([]mesh.Placed, len(pool))
	byID := make(map[peer.ID]*entry, len(pool))
	for i, e := range pool {
		cands[i] = mesh.Placed{ID: e.target.ID, Zone: e.target.Zone}
		byID[e.target.ID] = e
	}
	picks := prefs.Pick(have, cands, k, m.cfg.Rand)
	out := pool[:0] // pool is dial's own, built this round: reuse its memory
	for _, p := range picks {
		out = append(out, byID[p.ID])
	}
	return out
}

// havePlaced returns the placements of the live sessions and of the
// dials in flight, in ID order (bare-address dials last, in flight order).
func (m *Manager) havePlaced(v View) []mesh.Placed {
	have := make([]mesh.Placed, 0, len(m.sessions)+len(m.dialing))
	for id, s := range m.sessions {
		if !s.closing {
			have = append(have, m.placement(v, id))
		}
	}
	slices.SortFunc(have, func(a, b mesh.Placed) int { return a.ID.Compare(b.ID) })
	for _, d := range m.dialing {
		p := mesh.Placed{ID: d.target.ID, Zone: d.target.Zone}
		if e := m.entryFor(d.target); e != nil && e.target.Zone != "" {
			p.Zone = e.target.Zone
		}
		have = append(have, p)
	}
	return have
}

// placement returns what the strategy knows of the connected peer id:
// the View's placement (none for a nil View), with the zone of id's
// table entry when the View does not know it.
func (m *Manager) placement(v View, id peer.ID) mesh.Placed {
	p := mesh.Placed{ID: id}
	if v != nil {
		p = v.Placement(id)
		p.ID = id
	}
	if p.Zone == "" {
		if e := m.tab.byID(id); e != nil {
			p.Zone = e.target.Zone
		}
	}
	return p
}

// sessionPrefs is Config.Prefs as applied to sessions. PreferLocal keeps
// one cross-zone session more than the Remote cross-zone mesh peers the
// router keeps per topic: a mesh can graft only among sessions, and a
// cross-zone session can be of no use to a mesh for a while (PRUNE
// backoff, a low score, not subscribed to the topic) or simply lost,
// so the spare lets the router restore its cross-zone quota at once
// rather than after a dial. A session without mesh traffic costs
// little cross-zone traffic, so one spare is cheap; more would only
// weaken the zone's hold on the node's sessions. The other strategies
// are taken as they are (HubAndSpoke: one session per other zone).
func (m *Manager) sessionPrefs() mesh.Prefs {
	p := m.cfg.Prefs
	if p.Strategy == mesh.PreferLocal {
		p.Remote++
	}
	return p
}

// idle reports whether e may be dialled as far as sessions and slots go:
// not the local peer, not connected, not in flight.
func (m *Manager) idle(e *entry) bool {
	id := e.target.ID
	if !id.IsZero() {
		if id == m.cfg.Self {
			return false
		}
		if _, up := m.sessions[id]; up {
			return false
		}
	}
	return m.findDial(func(d dial) bool {
		return d.target.Same(e.target) || (!id.IsZero() && d.target.ID == id) ||
			(d.target.ID.IsZero() && d.target.Addr == e.target.Addr)
	}) < 0
}

// banned reports whether e's peer is kept out at now.
func (m *Manager) banned(now time.Time, e *entry) bool {
	return e.src != SourceDirect && !e.target.ID.IsZero() && m.Banned(now, e.target.ID)
}

// holdUntil returns when e may be dialled next: the later of its backoff
// and its ban (direct peers have no ban).
func (m *Manager) holdUntil(e *entry) time.Time {
	hold := e.nextTry
	if e.src != SourceDirect && !e.target.ID.IsZero() {
		if b, ok := m.bans[e.target.ID]; ok && b.until.After(hold) {
			hold = b.until
		}
	}
	return hold
}

// startDial outputs a dial of e if a slot is free.
func (m *Manager) startDial(now time.Time, e *entry) {
	if len(m.dialing) >= m.cfg.MaxDialing {
		return
	}
	m.dialing = append(m.dialing, dial{target: e.target, src: e.src, started: now})
	e.lastDial = now
	m.stats.DialsStarted++
	m.out.Dials = append(m.out.Dials, Dial{Target: e.target, Source: e.src})
}

// schedule sets Output.Deadline after a round: the next round, or earlier
// the first moment a wanted candidate stops backing off (wake) or a dial
// in flight times out.
func (m *Manager) schedule(now, wake time.Time) {
	d := now.Add(m.cfg.Interval)
	for _, x := range m.dialing {
		if t := x.started.Add(m.cfg.DialTimeout); t.Before(d) {
			d = t
		}
	}
	if !wake.IsZero() && wake.After(now) && wake.Before(d) {
		d = wake
	}
	m.out.Deadline = d
}

// wake brings Output.Deadline forward to t, after a first Tick.
func (m *Manager) wake(t time.Time) {
	if !m.out.Deadline.IsZero() && t.Before(m.out.Deadline) {
		m.out.Deadline = t
	}
}
