package peering

import (
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// View is what the Manager needs to know of the router to trim: the
// caller implements it (node passes its router, the simulator its own).
// A nil View scores every peer 0 and protects none.
type View interface {
	// Score returns p's peer score (GossipSub v1.1 §5); lower goes first.
	Score(p peer.ID) float64
	// Protected reports whether p is in the mesh of some topic; trim
	// takes it only when no unprotected peer is left.
	Protected(p peer.ID) bool
	// Stale reports whether p is of no use to the router's meshes now: it
	// is in a PRUNE backoff in every joined topic it is subscribed to.
	// Trim takes stale peers before others, so that a node every newcomer
	// dials (a seed) keeps the peers it can still graft.
	Stale(p peer.ID) bool
	// Placement returns p's zone and measured RTT as the router knows
	// them, for Config.Prefs.
	Placement(p peer.ID) mesh.Placed
}

// session is one connected peer.
type session struct {
	addr     string
	outbound bool
	since    time.Time
	closing  bool // a Disconnect was output; waiting for Disconnected
}

// dial is a dial in flight: output, not yet answered.
type dial struct {
	target  Target
	src     Source
	started time.Time
}

// ban keeps a peer out until a time.
type ban struct {
	until  time.Time
	reason string
}

// Manager decides whom to dial and whom to disconnect. It is a pure state
// machine: inputs are method calls carrying the time, outputs are drained
// with Ready and Advance. It is not safe for concurrent use: one goroutine
// (the node's event loop, the simulator) owns it.
type Manager struct {
	cfg      Config
	tab      *table
	sessions map[peer.ID]*session
	dialing  []dial // at most MaxDialing
	bans     map[peer.ID]ban
	out      Output
	shown    time.Time // out.Deadline as of the last Advance
	stats    Stats
	scratch  []*entry

	// PreferFast's sampling (explore.go).
	nextExplore time.Time
	exploreGap  int     // rounds until the next exploring dial
	explored    peer.ID // the last exploring dial's peer
	shareKey    uint64
	slow        []slowCandidate
	rtts        []time.Duration
	scores      []float64
}

// New returns a Manager with no candidates, or an error wrapping ErrConfig.
// Add the seeds and direct peers, then call Tick to get the first dials.
func New(cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := &Manager{
		cfg:      cfg,
		tab:      newTable(cfg.MaxCandidates),
		sessions: map[peer.ID]*session{},
		bans:     map[peer.ID]ban{},
	}
	if cfg.Prefs.Strategy == mesh.PreferFast {
		// Drawn only here, so that the other strategies use Rand as before.
		m.shareKey = cfg.Rand.Uint64()
	}
	return m, nil
}

// AddSeed adds a Config.Bootstrap entry: dialled at the next Tick,
// whatever the water marks, and retried with backoff until a session with
// it comes up once; afterwards it is an ordinary candidate that is never
// evicted. t.ID may be zero ("host:port" given bare). Adding a known seed
// again only records t.Zone, if not empty; adding a learnt peer's ID pins
// it as a seed.
func (m *Manager) AddSeed(t Target) { m.pin(t, SourceSeed) }

// AddDirect adds an explicit peer: dialled whenever it is down (with the
// failure backoff), whatever the water marks, never trimmed, never banned
// (its ban, if any, is lifted), never evicted. t.ID may be zero.
func (m *Manager) AddDirect(t Target) { m.pin(t, SourceDirect) }

func (m *Manager) pin(t Target, src Source) {
	if (t.ID.IsZero() && t.Addr == "") || (!t.ID.IsZero() && t.ID == m.cfg.Self) {
		return
	}
	m.tab.pin(t, src)
	if src == SourceDirect && !t.ID.IsZero() {
		delete(m.bans, t.ID)
	}
}

// Offer adds a dial candidate, or refreshes a known one: an alive member
// of the membership view (SourceMember), a peer exchange record or LAN
// beacon (SourceExchange). A member offer updates a known learnt
// candidate's address and promotes an exchange entry to a member; an
// exchange offer updates only the address of an exchange entry that is
// not verified (our own dial never reached it there) and not connected
// (a connected peer's exchange record keeps its session's address), so
// that second-hand records cannot poison the address of a peer we know;
// configured seed and direct addresses are kept. A non-empty t.Zone
// becomes the candidate's zone, except that an exchange offer does not
// change the known zone of a member, seed or direct peer. SourceSeed and
// SourceDirect are AddSeed and AddDirect. A target without ID or address,
// or naming Config.Self, is ignored. When the table is full the oldest
// unverified exchange entry is evicted, or, for a member, the oldest
// verified exchange entry or member; an exchange offer that finds none
// is dropped (Stats.Dropped).
func (m *Manager) Offer(now time.Time, t Target, src Source) {
	switch src {
	case SourceSeed, SourceDirect:
		m.pin(t, src)
		return
	}
	if t.ID.IsZero() || t.Addr == "" || t.ID == m.cfg.Self {
		return
	}
	if s := m.sessions[t.ID]; s != nil && src == SourceExchange && s.addr != "" {
		t.Addr = s.addr // what we know reaches it, not what a third party says
	}
	m.tab.offer(now, t, src, false)
}

// Member feeds a change of the membership view: an up member is a dial
// candidate (Offer with SourceMember), a gone one is forgotten (Forget).
// Suspects are neither: they stay candidates until declared dead.
func (m *Manager) Member(now time.Time, t Target, up bool) {
	if up {
		m.Offer(now, t, SourceMember)
		return
	}
	m.Forget(now, t.ID)
}

// Forget reports that the member id died or left: it is no longer a dial
// candidate. A seed stays in the table but is dialled only in desperate
// mode (until offered again); a direct peer is kept as it is.
func (m *Manager) Forget(now time.Time, id peer.ID) {
	m.tab.forget(id)
}

// DialFailed reports that the dial of t, as returned in Output.Dials,
// failed: its slot is freed and t is retried after a backoff that doubles
// per consecutive failure. t matches the dial by ID and Addr (Same): its
// Zone does not matter. A target not in flight (already timed out,
// or never dialled) is ignored.
func (m *Manager) DialFailed(now time.Time, t Target) {
	i := m.findDial(func(d dial) bool { return d.target.Same(t) })
	if i < 0 {
		return
	}
	m.failDial(now, i)
}

// failDial ends the dial in flight i as failed.
func (m *Manager) failDial(now time.Time, i int) {
	t := m.dialing[i].target
	m.dialing = append(m.dialing[:i], m.dialing[i+1:]...)
	m.stats.DialsFailed++
	if e := m.entryFor(t); e != nil {
		if e.target.Addr == t.Addr {
			m.tab.unverify(e)
		}
		m.backoff(now, e)
	}
}

// Connected reports that a session with id came up; outbound says whether
// it is the authenticated result of our own dial of addr (the transport's
// Dial of addr returned id), inbound sessions being opened by the peer.
// For a session that a Dial of the Output started, pass that Dial's
// Target.Addr as addr: addresses are compared as strings, and a seed given
// as "name:port" is found only so. For an inbound session pass the
// address the transport proved (its EventPeerUp address) or "".
//
// It returns false when id is banned: the caller must end that session
// (Stats.Refused counts it), and the Manager does not count it as
// connected. A dial in flight for id is done. Only an outbound session
// completes a bare-address dial of addr, names a bare-address seed or
// direct peer of addr, and verifies id's address (see Offer): an inbound
// session's address is the peer's to claim, so it is matched by ID only,
// and cannot pass for a seed or a direct peer (which escapes bans). An
// unknown peer with an address becomes an exchange candidate. A second
// Connected for a connected id (a restarted instance) replaces the
// session.
func (m *Manager) Connected(now time.Time, id peer.ID, addr string, outbound bool) (allowed bool) {
	if id.IsZero() {
		return false
	}
	e := m.reached(id, addr, outbound)
	if (e == nil || e.src != SourceDirect) && m.Banned(now, id) {
		m.stats.Refused++
		return false
	}
	if e == nil && addr != "" && id != m.cfg.Self {
		m.tab.offer(now, Target{ID: id, Addr: addr}, SourceExchange, outbound)
		if e = m.tab.byID(id); e != nil && outbound {
			m.tab.verify(e, addr)
		}
	}
	if e != nil {
		e.answered = true
	}
	m.sessions[id] = &session{addr: addr, outbound: outbound, since: now}
	return true
}

// DialReached reports that our own dial of t came up as id while a session
// with id was already connected (the peer opened it first, and Connected
// reported it inbound): the dial is done, a bare-address seed or direct
// peer of t.Addr learns its ID, and id's address is verified, as an
// outbound Connected would; the session keeps its direction. It does
// nothing when id is not connected (report Connected instead).
func (m *Manager) DialReached(now time.Time, t Target, id peer.ID) {
	if id.IsZero() || m.sessions[id] == nil {
		return
	}
	if e := m.reached(id, t.Addr, true); e != nil {
		e.answered = true
	}
}

// reached ends the dial in flight that a session with id completes and
// returns id's entry, or nil. dialled says that the session is our own
// dial of addr: only then may addr match a bare-address dial or entry
// (which learns its ID) and verify the entry's address.
func (m *Manager) reached(id peer.ID, addr string, dialled bool) *entry {
	var e *entry
	if i := m.findDial(func(d dial) bool {
		return d.target.ID == id || (dialled && d.target.ID.IsZero() && d.target.Addr == addr)
	}); i >= 0 {
		e = m.entryFor(m.dialing[i].target)
		m.dialing = append(m.dialing[:i], m.dialing[i+1:]...)
	}
	if dialled && (e == nil || (!e.target.ID.IsZero() && e.target.ID != id)) {
		// A bare-address seed or direct peer first, so that it is named
		// even when id is already known by another source.
		e = m.tab.byAddr(addr)
	}
	if e == nil || e.target.ID != id && !e.target.ID.IsZero() {
		e = m.tab.byID(id)
	}
	if e != nil && e.target.ID.IsZero() {
		m.tab.name(e, id)
		e = m.tab.byID(id)
	}
	if dialled && e != nil {
		m.tab.verify(e, addr)
	}
	return e
}

// Disconnected reports that the session with id ended. If it lasted less
// than StableSession it counts as a failed dial (the backoff grows);
// otherwise the failures are forgotten and id may be redialled after
// DialBackoff. Unknown ids are ignored.
func (m *Manager) Disconnected(now time.Time, id peer.ID) {
	s := m.sessions[id]
	if s == nil {
		return
	}
	delete(m.sessions, id)
	e := m.tab.byID(id)
	if e == nil {
		return
	}
	if now.Sub(s.since) < m.cfg.StableSession {
		m.backoff(now, e)
	} else {
		e.failures = 0
		e.nextTry = now.Add(m.cfg.DialBackoff)
	}
	if e.src == SourceDirect {
		m.wake(e.nextTry)
	}
}

// Ban keeps id out for BanDuration from now (a longer ban in force is
// kept): it is not dialled, and Connected refuses it. If id is connected,
// Output.Disconnects gets {id, "banned", reason}. Direct peers cannot be
// banned: Ban of one does nothing. Unban lifts a ban.
func (m *Manager) Ban(now time.Time, id peer.ID, reason string) {
	if id.IsZero() {
		return
	}
	if e := m.tab.byID(id); e != nil && e.src == SourceDirect {
		return
	}
	m.stats.Bans++
	m.keepOut(now, id, "banned", reason)
}

// keepOut bans id and disconnects it if connected.
func (m *Manager) keepOut(now time.Time, id peer.ID, why, detail string) {
	until := now.Add(m.cfg.BanDuration)
	if b, ok := m.bans[id]; !ok || b.until.Before(until) {
		m.bans[id] = ban{until: until, reason: detail}
	}
	if s := m.sessions[id]; s != nil && !s.closing {
		s.closing = true
		m.out.Disconnects = append(m.out.Disconnects, Disconnect{ID: id, Reason: why, Detail: detail})
	}
}

// Unban lifts id's ban, if any: for the application's explicit Connect to
// a peer the Manager keeps out.
func (m *Manager) Unban(id peer.ID) { delete(m.bans, id) }

// Banned reports whether id is kept out at now.
func (m *Manager) Banned(now time.Time, id peer.ID) bool {
	b, ok := m.bans[id]
	return ok && now.Before(b.until)
}

// backoff records a failed dial of e and schedules its retry.
func (m *Manager) backoff(now time.Time, e *entry) {
	if e.failures < maxFailures {
		e.failures++
	}
	e.nextTry = now.Add(backoffDelay(m.cfg.DialBackoff, m.cfg.MaxDialBackoff, int(e.failures), m.cfg.Rand.Float64()))
}

// backoffDelay is the wait after the n-th consecutive failure (n ≥ 1):
// base doubled n-1 times, capped at maxD, times a jitter factor in
// [0.8, 1.2) from u in [0, 1), so that a restarted cluster does not
// redial in step.
func backoffDelay(base, maxD time.Duration, n int, u float64) time.Duration {
	d := base
	for i := 1; i < n && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return time.Duration(float64(d) * (0.8 + 0.4*u))
}

// findDial returns the index of the first dial in flight matching f, or -1.
func (m *Manager) findDial(f func(dial) bool) int {
	for i, d := range m.dialing {
		if f(d) {
			return i
		}
	}
	return -1
}

// entryFor returns the entry a dial target came from, or nil.
func (m *Manager) entryFor(t Target) *entry {
	if !t.ID.IsZero() {
		return m.tab.byID(t.ID)
	}
	for _, e := range m.tab.pinned {
		if e.target.Addr == t.Addr {
			return e
		}
	}
	return nil
}
