package membership

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gwyh/gwyh/peer"
)

// Membership is one node's SWIM membership state machine. It is not safe
// for concurrent use: its owner calls every method from one goroutine.
type Membership struct {
	p    Params
	lim  limits
	rnd  *rand.Rand
	self Member
	left bool // Leave was called: the node only answers

	members  map[peer.ID]*member // every other member held, all states
	up       []*member           // alive and suspect members, self excluded, in no particular order (member.upIdx)
	picked   []*member           // pickUp's result
	suspects []peer.ID           // members with a suspicion timer, in the order suspected
	retained *simplelru.LRU[peer.ID, time.Time]

	order    []*member // randomized round-robin probe order (records may be stale: see nextTarget)
	orderPos int
	probes   []*probe // our probes in flight, oldest first
	relays   []*relay // ping-reqs served as a helper, oldest first
	seq      uint64
	aw       awareness
	q        queue

	started                                            bool
	now                                                time.Time // of the latest input
	nextProbe, nextGossip, nextPushPull, nextReconnect time.Time
	// announceUntil: until then this node puts its own alive update in
	// its probes (see startProbe).
	announceUntil time.Time
	// nextAsk: the earliest time to ask an unknown sender who it is.
	nextAsk      time.Time
	lastDeadline time.Time // handed out by the latest Ready

	out     Output
	handed  bool     // out was returned by Ready and not yet Advanced
	changed bool     // an input since the last Ready (the deadline may have moved)
	scratch []byte   // sendMsg's body
	ups     []byte   // sendMsg's updates
	decBuf  []update // HandlePayload's piggybacked updates
	stats   Stats
}

// member is another member and its suspicion timer.
type member struct {
	Member
	susp        *suspicion
	provisional bool // added by Join before its own state arrived
	upIdx       int  // index in Membership.up while up, else -1
}

// New returns a Membership for cfg, or an error wrapping ErrConfig (all
// problems joined).
func New(cfg Config) (*Membership, error) {
	p := cfg.Params
	if p == (Params{}) {
		p = LANParams()
	}
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...)))
	}
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Rand == nil {
		bad("Rand is nil")
	}
	s := cfg.Self
	if s.ID.IsZero() {
		bad("Self.ID is zero")
	}
	if s.Addr == "" || len(s.Addr) > MaxAddrLen {
		bad("Self.Addr %q must have 1 to %d bytes", s.Addr, MaxAddrLen)
	}
	if len(s.Zone) > MaxZoneLen {
		bad("Self.Zone has %d bytes, over %d", len(s.Zone), MaxZoneLen)
	}
	if err := checkTags(s.Tags, p.MaxTagBytes); err != nil {
		bad("Self.Tags: %v", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m := &Membership{
		p:       p,
		lim:     limitsOf(&p),
		rnd:     cfg.Rand,
		members: make(map[peer.ID]*member),
		aw:      awareness{max: p.MaxAwareness},
	}
	m.self = Member{ID: s.ID, Addr: s.Addr, Zone: s.Zone, Tags: cloneTags(s.Tags), State: StateAlive}
	m.retained, _ = simplelru.NewLRU[peer.ID, time.Time](p.MaxMembers, m.evicted)
	m.out.Deadline = time.Unix(0, 0)
	return m, nil
}

func cloneTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	c := make(map[string]string, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

// evicted forgets a retained member pushed out of the LRU or expired.
func (m *Membership) evicted(id peer.ID, _ time.Time) {
	if e := m.members[id]; e != nil && !e.State.up() {
		delete(m.members, id)
	}
}

// begin starts an input at now.
func (m *Membership) begin(now time.Time) {
	m.changed = true
	if now.After(m.now) {
		m.now = now
	}
	if m.started {
		return
	}
	m.started = true
	// Spread the first probe over one interval so that nodes started
	// together do not probe in lockstep.
	m.nextProbe = now.Add(time.Duration(m.rnd.Int64N(int64(m.p.ProbeInterval)) + 1))
	m.nextGossip = now
	if m.p.PushPullInterval > 0 {
		m.nextPushPull = now.Add(m.pushPullInterval())
		m.nextReconnect = now.Add(m.p.PushPullInterval)
	}
}

// Self returns this node as a member.
func (m *Membership) Self() Member { return m.self }

// Member returns the member with id (self included) while it is held.
func (m *Membership) Member(id peer.ID) (Member, bool) {
	if id == m.self.ID {
		return m.self, true
	}
	if e := m.members[id]; e != nil {
		return e.Member, true
	}
	return Member{}, false
}

// Members returns every member held, self included, dead and left ones
// while retained, sorted by ID.
func (m *Membership) Members() []Member {
	out := make([]Member, 0, len(m.members)+1)
	out = append(out, m.self)
	for _, e := range m.members {
		out = append(out, e.Member)
	}
	slices.SortFunc(out, func(a, b Member) int { return a.ID.Compare(b.ID) })
	return out
}

// StateCounts returns how many members are held in each State (indexed by
// State), self included.
func (m *Membership) StateCounts() [4]int {
	var c [4]int
	c[m.self.State]++
	for _, e := range m.members {
		c[e.State]++
	}
	return c
}

// NumAlive returns the number of alive and suspect members, self included
// (zero after Leave for self).
func (m *Membership) NumAlive() int {
	if m.left {
		return len(m.up)
	}
	return len(m.up) + 1
}

// Health returns the Lifeguard local health multiplier score: 0 is
// healthy, MaxAwareness−1 the worst.
func (m *Membership) Health() int { return m.aw.score }

// Stats returns the counters.
func (m *Membership) Stats() Stats { return m.stats }

// clusterSize is N in the protocol's formulas: up members, self included,
// at least 1.
func (m *Membership) clusterSize() int { return len(m.up) + 1 }

// setUp adds e to (up) or removes it from the list of up members, in O(1):
// gossip, probes and ping-reqs pick from that list every round, so it is
// kept rather than rebuilt from the member map. Its order depends only on
// the order of state changes, so it is as deterministic as they are.
func (m *Membership) setUp(e *member, up bool) {
	switch {
	case up && e.upIdx < 0:
		e.upIdx = len(m.up)
		m.up = append(m.up, e)
	case !up && e.upIdx >= 0:
		last := len(m.up) - 1
		moved := m.up[last]
		m.up[e.upIdx] = moved
		moved.upIdx = e.upIdx
		m.up[last] = nil
		m.up = m.up[:last]
		e.upIdx = -1
	}
}

// pickUp returns up to n distinct up members other than except, chosen at
// random, in a slice reused by the next call. It hands out the members
// themselves (m.up holds the current record of each up member), so that
// callers need no lookup for their addresses.
func (m *Membership) pickUp(n int, except peer.ID) []*member {
	m.picked = m.picked[:0]
	avail := len(m.up)
	if e := m.members[except]; e != nil && e.upIdx >= 0 {
		avail--
	}
	n = min(n, avail)
	if n <= 0 {
		return m.picked
	}
	if 4*n >= avail { // few to choose from: shuffle a copy
		for _, e := range m.up {
			if e.ID != except {
				m.picked = append(m.picked, e)
			}
		}
		for i := range n {
			j := i + m.rnd.IntN(len(m.picked)-i)
			m.picked[i], m.picked[j] = m.picked[j], m.picked[i]
		}
		m.picked = m.picked[:n]
		return m.picked
	}
	for len(m.picked) < n { // many: draw until n distinct (few retries)
		e := m.up[m.rnd.IntN(len(m.up))]
		if e.ID != except && !slices.Contains(m.picked, e) {
			m.picked = append(m.picked, e)
		}
	}
	return m.picked
}

// addrOf returns a member's address, or "" when not held.
func (m *Membership) addrOf(id peer.ID) string {
	if e := m.members[id]; e != nil {
		return e.Addr
	}
	return ""
}

// allIDs returns the IDs of every other member held, sorted.
func (m *Membership) allIDs() []peer.ID {
	ids := make([]peer.ID, 0, len(m.members))
	for id := range m.members {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, peer.ID.Compare)
	return ids
}
