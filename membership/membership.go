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
	numUp    int                 // alive and suspect members, self excluded
	suspects []peer.ID           // members with a suspicion timer, in the order suspected
	retained *simplelru.LRU[peer.ID, time.Time]

	order    []peer.ID // randomized round-robin probe order
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
	lastDeadline  time.Time // handed out by the latest Ready

	out     Output
	handed  bool // out was returned by Ready and not yet Advanced
	scratch []byte
	stats   Stats
}

// member is another member and its suspicion timer.
type member struct {
	Member
	susp        *suspicion
	provisional bool // added by Join before its own state arrived
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

// NumAlive returns the number of alive and suspect members, self included
// (zero after Leave for self).
func (m *Membership) NumAlive() int {
	if m.left {
		return m.numUp
	}
	return m.numUp + 1
}

// Health returns the Lifeguard local health multiplier score: 0 is
// healthy, MaxAwareness−1 the worst.
func (m *Membership) Health() int { return m.aw.score }

// Stats returns the counters.
func (m *Membership) Stats() Stats { return m.stats }

// clusterSize is N in the protocol's formulas: up members, self included,
// at least 1.
func (m *Membership) clusterSize() int { return m.numUp + 1 }

// upIDs returns the up members other than self and except, sorted.
func (m *Membership) upIDs(except peer.ID) []peer.ID {
	ids := make([]peer.ID, 0, m.numUp)
	for id, e := range m.members {
		if e.State.up() && id != except {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, peer.ID.Compare)
	return ids
}

// pick returns up to n members of ids chosen at random (ids is reordered).
func (m *Membership) pick(ids []peer.ID, n int) []peer.ID {
	n = min(n, len(ids))
	for i := range n {
		j := i + m.rnd.IntN(len(ids)-i)
		ids[i], ids[j] = ids[j], ids[i]
	}
	return ids[:n]
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
