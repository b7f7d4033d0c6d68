package score

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Scorer keeps the GossipSub v1.1 peer score of every known peer.
//
// It is not safe for concurrent use: all methods, Score included (it
// updates a cache), must be called from one goroutine (the router's
// caller). It never reads the clock: every input
// carries now, and now should not go backwards (a step back is treated as
// no time elapsed). Decay is a function of elapsed time: each method that
// takes now first applies the decay steps due, so counters are the same
// whatever the cadence of Refresh. Events about peers that were never
// added are ignored and counted in Stats.
type Scorer struct {
	params    Params                  // a private copy
	topics    map[string]*TopicParams // private copies of params.Topics
	whitelist []netip.Prefix          // masked

	peers map[peer.ID]*peerStats
	ips   map[netip.Addr]int // peers (connected or retained) per IP

	lastDecay time.Time // start of the current decay interval; zero before the first call with now
	nextDecay time.Time // lastDecay + DecayInterval: no step is due before it
	records   deliveryRecords
	handles   peerHandles // of known peers and of peers records name
	stats     Stats
}

// New returns a Scorer for p, which must pass Validate. p is copied.
func New(p Params) (*Scorer, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("score: New: %w", err)
	}
	s := &Scorer{
		params: p,
		topics: make(map[string]*TopicParams, len(p.Topics)),
		peers:  make(map[peer.ID]*peerStats),
		ips:    make(map[netip.Addr]int),
	}
	for name, tp := range p.Topics {
		c := *tp
		s.topics[name] = &c
	}
	s.params.Topics = nil
	s.params.IPColocationFactorWhitelist = slices.Clone(p.IPColocationFactorWhitelist)
	for _, pr := range p.IPColocationFactorWhitelist {
		if a := pr.Addr(); a.Is4In6() && pr.Bits() >= 96 {
			pr = netip.PrefixFrom(a.Unmap(), pr.Bits()-96) // peers' IPs are unmapped too
		}
		s.whitelist = append(s.whitelist, pr.Masked())
	}
	s.records.init(p.DeliveryRecordTTL, p.MaxDeliveryRecords)
	s.handles.init()
	return s, nil
}

// Params returns a copy of the parameters the Scorer runs with.
func (s *Scorer) Params() Params {
	p := s.params
	p.Topics = make(map[string]*TopicParams, len(s.topics))
	for _, name := range slices.Sorted(maps.Keys(s.topics)) {
		c := *s.topics[name]
		p.Topics[name] = &c
	}
	p.IPColocationFactorWhitelist = slices.Clone(p.IPColocationFactorWhitelist)
	return p
}

// AddPeer records that p connected from ip (an invalid ip means unknown:
// no P6). A retained peer that reconnects gets its counters back.
func (s *Scorer) AddPeer(now time.Time, p peer.ID, ip netip.Addr) {
	s.advance(now)
	ps := s.peers[p]
	if ps == nil {
		ps = &peerStats{}
		s.peers[p] = ps
		s.handles.attach(p, ps)
	}
	ps.connected = true
	ps.expire = time.Time{}
	s.setIP(ps, ip.Unmap())
}

func (s *Scorer) setIP(ps *peerStats, ip netip.Addr) {
	if ps.ip == ip {
		return
	}
	s.dropIP(ps)
	ps.ip = ip
	if ip.IsValid() {
		s.ips[ip]++
	}
}

func (s *Scorer) dropIP(ps *peerStats) {
	if !ps.ip.IsValid() {
		return
	}
	if s.ips[ps.ip]--; s.ips[ps.ip] <= 0 {
		delete(s.ips, ps.ip)
	}
	ps.ip = netip.Addr{}
}

// RemovePeer records that p disconnected. Its counters are kept, frozen,
// for RetainScore (and its IP still counts towards P6 meanwhile, so that
// sybils cannot shed P6 by reconnecting under new identities); then
// Refresh forgets them. On disconnect its P2 counter is cleared (a reward
// does not survive a disconnect) and it leaves every mesh, earning P3b
// as at a prune.
func (s *Scorer) RemovePeer(now time.Time, p peer.ID) {
	s.advance(now)
	ps := s.peers[p]
	if ps == nil || !ps.connected {
		s.stats.UnknownPeerEvents++
		return
	}
	ps.stale = true
	for i := range ps.topics {
		ts := &ps.topics[i]
		ts.firstMessageDeliveries = 0
		ts.leaveMesh()
	}
	ps.connected = false
	ps.expire = now.Add(s.params.RetainScore)
}

// AddPenalty adds count to p's P7 behaviour penalty counter, as of the
// time of the last call that carried now. A count ≤ 0 or an unknown peer
// is ignored.
func (s *Scorer) AddPenalty(p peer.ID, count int) {
	ps := s.known(p)
	if ps == nil || count <= 0 {
		return
	}
	ps.behaviourPenalty += float64(count)
}

// known returns p's stats, or nil (counted) if p was never added or has
// been forgotten.
func (s *Scorer) known(p peer.ID) *peerStats {
	ps := s.peers[p]
	if ps == nil {
		s.stats.UnknownPeerEvents++
	}
	return ps
}
