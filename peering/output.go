package peering

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Dial asks the caller to dial Target. The dial is in flight until the
// caller reports Connected (for Target.ID, or from Target.Addr when the ID
// is zero) or DialFailed(Target), or until DialTimeout passes.
type Dial struct {
	Target Target
	Source Source // why it is dialled
}

// Disconnect asks the caller to end the session with ID and then report
// Disconnected. Reason is "banned" (Ban) or "trim" (above High); both keep
// the peer out for BanDuration. Detail is Ban's reason, empty for a trim.
type Disconnect struct {
	ID     peer.ID
	Reason string
	Detail string
}

// Output is the work the Manager hands back, etcd-raft style: after any
// input, if HasReady, act on Ready() and then call Advance. All fields
// are read-only and valid until Advance; the Manager reuses their memory
// afterwards.
type Output struct {
	// Dials to start, in the order chosen (direct, new seeds, others).
	Dials []Dial
	// Disconnects to carry out, in the order chosen.
	Disconnects []Disconnect
	// Deadline is when to call Tick next: the next maintenance round, or
	// earlier when a backoff, ban or dial timeout ends. Zero only before
	// the first Tick.
	Deadline time.Time
}

// HasReady reports whether Ready has dials or disconnects, or a Deadline
// that changed since the last Advance.
func (m *Manager) HasReady() bool {
	return len(m.out.Dials) > 0 || len(m.out.Disconnects) > 0 || !m.out.Deadline.Equal(m.shown)
}

// Ready returns the pending output. The pointer and the slices stay valid
// until Advance, and must not be modified.
func (m *Manager) Ready() *Output { return &m.out }

// Advance acknowledges the last Ready: its dials and disconnects are
// dropped (the Manager assumes they were carried out) and its Deadline is
// no longer new.
func (m *Manager) Advance() {
	clear(m.out.Dials)
	clear(m.out.Disconnects)
	m.out.Dials = m.out.Dials[:0]
	m.out.Disconnects = m.out.Disconnects[:0]
	m.shown = m.out.Deadline
}

// Stats counts the Manager's decisions since New; the gauges are as of
// the call.
type Stats struct {
	DialsStarted uint64 // dials output
	DialsFailed  uint64 // DialFailed and timed-out dials
	DialTimeouts uint64 // dials with no answer within DialTimeout (also in DialsFailed)
	Desperate    uint64 // seed dials of desperate mode (also in DialsStarted)
	Bans         uint64 // Ban calls that took effect
	Trims        uint64 // peers disconnected above High
	SlowTrims    uint64 // PreferFast: slow sessions closed above Low
	Explores     uint64 // PreferFast: exploring dials beyond Low
	Refused      uint64 // banned peers refused at Connected
	Evicted      uint64 // learnt candidates evicted to make room
	Dropped      uint64 // exchange offers dropped: the table was full of members and verified records

	Connected  int // sessions up (including those being disconnected)
	Dialing    int // dials in flight
	Candidates int // entries of the candidate table, seeds and direct included
	BannedNow  int // bans recorded (expired ones are removed at Tick)
}

// Stats returns the counters and gauges.
func (m *Manager) Stats() Stats {
	s := m.stats
	s.Evicted, s.Dropped = m.tab.evicted, m.tab.dropped
	s.Connected, s.Dialing = len(m.sessions), len(m.dialing)
	s.Candidates = len(m.tab.pinned) + m.tab.learnt()
	s.BannedNow = len(m.bans)
	return s
}

// NumConnected returns the number of sessions up, counting those asked to
// disconnect until Disconnected is reported.
func (m *Manager) NumConnected() int { return len(m.sessions) }

// NumDialing returns the number of dials in flight.
func (m *Manager) NumDialing() int { return len(m.dialing) }

// IsConnected reports whether a session with id is up.
func (m *Manager) IsConnected(id peer.ID) bool { _, ok := m.sessions[id]; return ok }

// Outbound reports whether id is connected by a session we dialled.
func (m *Manager) Outbound(id peer.ID) bool {
	s := m.sessions[id]
	return s != nil && s.outbound
}

// IsDirect reports whether id is a direct peer.
func (m *Manager) IsDirect(id peer.ID) bool {
	e := m.tab.pinnedID[id]
	return e != nil && e.src == SourceDirect
}

// Peers returns the connected peers in ID order, in a new slice.
func (m *Manager) Peers() []peer.ID {
	ids := make([]peer.ID, 0, len(m.sessions))
	for id := range m.sessions {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, peer.ID.Compare)
	return ids
}

// Candidate returns what the table knows of id: its address and source,
// and whether it is there.
func (m *Manager) Candidate(id peer.ID) (t Target, src Source, ok bool) {
	e := m.tab.byID(id)
	if e == nil {
		return Target{}, 0, false
	}
	return e.target, e.src, true
}
