package sim

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gwyh/gwyh/membership"
)

// checkEvery is the period of the membership view checks (view
// convergence, joins known to all): the resolution of view_converge_s and
// join_known_all_s.
const checkEvery = 100 * time.Millisecond

// pendingJoin is a join not yet known to every live node.
type pendingJoin struct {
	idx int32
	inc int32
	at  int64
	// from is where knownByAll starts its next scan of the live nodes:
	// the node that did not know the joiner last time, likely still not.
	from int
}

// memberMetrics accumulates what a run measures of membership and the
// peer manager.
type memberMetrics struct {
	s *simulator

	memberTally
	suspicions, refutations, deaths uint64

	// The crash: when, who (position in s.crashed), and for each (dead,
	// node) pair when the node learnt the death (-1: not yet).
	crashT   int64
	crashPos map[int32]int
	det      []int64
	knew     []bool // per (dead, node) pair: the node held the dead one as up at the crash

	// View convergence since the last change of the live set.
	mass       bool // the joins under way are the initial mass join
	lastChange int64
	converged  bool
	convergeAt int64
	pending    []pendingJoin
	joinTimes  []int64
	live       []*node
}

// memberTally is what node-local events add to the membership metrics;
// a window's workers each count in their own (see tally).
type memberTally struct {
	wire, wireSteady                            uint64
	crossSteady                                 uint64 // part of wireSteady between zones
	packets, dropNet, dropOffline, errors       uint64
	dials, dialFailures, refused, pmDisconnects uint64
	stalls, stallDrops                          uint64
	events                                      [8]uint64

	falsePositives uint64
	fpLog          []string
}

// add adds o to t and empties o.
func (t *memberTally) add(o *memberTally) {
	t.wire += o.wire
	t.wireSteady += o.wireSteady
	t.crossSteady += o.crossSteady
	t.packets += o.packets
	t.dropNet += o.dropNet
	t.dropOffline += o.dropOffline
	t.errors += o.errors
	t.dials += o.dials
	t.dialFailures += o.dialFailures
	t.refused += o.refused
	t.pmDisconnects += o.pmDisconnects
	t.stalls += o.stalls
	t.stallDrops += o.stallDrops
	addCounts(t.events[:], o.events[:])
	t.falsePositives += o.falsePositives
	t.fpLog = appendUpTo(t.fpLog, o.fpLog, maxViolations)
	*o = memberTally{fpLog: o.fpLog[:0]}
}

func newMemberMetrics(s *simulator) *memberMetrics {
	return &memberMetrics{s: s, crashT: -1, convergeAt: -1}
}

// changed records a change of the live set (or of reachability).
func (mm *memberMetrics) changed() {
	mm.lastChange = mm.s.now
	mm.converged = false
	mm.convergeAt = -1
}

// joined records that n came up; a join other than the initial mass join
// is timed until every live node knows it.
func (mm *memberMetrics) joined(n *node) {
	mm.changed()
	if !mm.mass && mm.s.dir == nil {
		mm.pending = append(mm.pending, pendingJoin{idx: n.idx, inc: n.inc, at: mm.s.now})
	}
}

// beforeLeave adds n's membership counters to the totals.
func (mm *memberMetrics) beforeLeave(n *node) {
	if n.mem == nil {
		return
	}
	st := n.mem.Stats()
	mm.suspicions += st.Suspicions
	mm.refutations += st.Refutations
	mm.deaths += st.DeathsDeclared
}

// crashAt records the crash of the nodes in order.
func (mm *memberMetrics) crashAt(order []int32) {
	mm.changed()
	mm.crashT = mm.s.now
	mm.crashPos = make(map[int32]int, len(order))
	for p, i := range order {
		mm.crashPos[i] = p
	}
	if mm.s.dir != nil {
		return // no views to time the detection in
	}
	mm.det = make([]int64, len(order)*mm.s.honest)
	mm.knew = make([]bool, len(order)*mm.s.honest)
	for i := range mm.det {
		mm.det[i] = -1
	}
	for p, c := range order {
		id := mm.s.nodes[c].id
		for i := range mm.s.honest {
			if n := mm.s.nodes[i]; n.mem != nil {
				m, ok := n.mem.Member(id)
				mm.knew[p*mm.s.honest+i] = ok && (m.State == membership.StateAlive || m.State == membership.StateSuspect)
			}
		}
	}
}

// event records a membership event at honest node n: deaths learnt of
// crashed nodes, and deaths declared of healthy ones (false positives: a
// node online, reachable from n, stalled or not).
func (mm *memberMetrics) event(n *node, e *membership.Event) {
	s := mm.s
	if int(e.Kind) < len(mm.events) {
		mm.events[e.Kind]++
	}
	if e.Kind != membership.EventDead && e.Kind != membership.EventLeave {
		return
	}
	j, ok := s.byID[e.Member.ID]
	if !ok || int(j) >= s.honest {
		return
	}
	if p, ok := mm.crashPos[j]; ok {
		if k := p*s.honest + int(n.idx); mm.det[k] < 0 {
			mm.det[k] = s.now
		}
		return
	}
	d := s.nodes[j]
	if e.Kind == membership.EventDead && d.online && !(d.side != n.side && s.inPartition()) {
		mm.falsePositives++
		if len(mm.fpLog) < maxViolations {
			mm.fpLog = append(mm.fpLog, fmt.Sprintf("t=%v: node %d declared node %d dead (stalled: %v)",
				time.Duration(s.now), n.idx, j, d.stalled(s.now)))
		}
	}
}

// liveNodes returns the honest nodes online with a membership.
func (mm *memberMetrics) liveNodes() []*node {
	mm.live = mm.live[:0]
	for i := range mm.s.honest {
		if n := mm.s.nodes[i]; n.online && n.mem != nil {
			mm.live = append(mm.live, n)
		}
	}
	return mm.live
}

// check looks at the membership views: whether every live node lists
// exactly the live nodes as alive, and which pending joins every live
// node now knows.
func (mm *memberMetrics) check() {
	s := mm.s
	if s.partitioned {
		return
	}
	live := mm.liveNodes()
	if !mm.converged && mm.viewsExact(live) {
		mm.converged, mm.convergeAt = true, s.now
	}
	keep := mm.pending[:0]
	for _, p := range mm.pending {
		j := s.nodes[p.idx]
		if !j.online || j.inc != p.inc || j.mem == nil {
			continue // left again before everyone knew it
		}
		var all bool
		if all, p.from = mm.knownByAll(j, live, p.from); all {
			mm.joinTimes = append(mm.joinTimes, s.now-p.at)
			continue
		}
		keep = append(keep, p)
	}
	mm.pending = keep
}

// viewsExact reports whether every live node's view holds exactly the
// live nodes as alive (not suspect).
func (mm *memberMetrics) viewsExact(live []*node) bool {
	for _, n := range live {
		if n.mem.NumAlive() != len(live) {
			return false
		}
	}
	for _, n := range live {
		for _, j := range live {
			if m, ok := n.mem.Member(j.id); !ok || m.State != membership.StateAlive {
				return false
			}
		}
	}
	return true
}

// knownByAll reports whether every live node holds j alive at j's current
// incarnation. It scans live from index from (wrapping around), so that a
// check that failed at some node starts there next time, and returns the
// index where it stopped; a true answer has looked at every node.
func (mm *memberMetrics) knownByAll(j *node, live []*node, from int) (bool, int) {
	inc := j.mem.Self().Incarnation
	if from >= len(live) {
		from = 0
	}
	for k := range live {
		i := (from + k) % len(live)
		n := live[i]
		if n == j {
			continue
		}
		if m, ok := n.mem.Member(j.id); !ok || m.State != membership.StateAlive || m.Incarnation < inc {
			return false, i
		}
	}
	return true, from
}

// fill sets the membership fields of r.
func (mm *memberMetrics) fill(r *Result) {
	s := mm.s
	for i := range s.honest {
		mm.beforeLeave(s.nodes[i])
	}
	r.DetectP50S, r.DetectP99S, r.DetectFirstS, r.DetectLastS = -1, -1, -1, -1
	r.DeliveryBeforeCrash, r.DeliveryAfterCrash = -1, -1
	if mm.crashT >= 0 && s.dir == nil {
		var ts []int64
		for p := range s.crashed {
			for i := range s.honest {
				if _, dead := mm.crashPos[int32(i)]; dead || !s.nodes[i].online {
					continue
				}
				switch t := mm.det[p*s.honest+i]; {
				case t >= 0:
					ts = append(ts, t-mm.crashT)
				case !mm.knew[p*s.honest+i]:
					r.DetectUnknown++
				default:
					r.DetectMissed++
				}
			}
		}
		slices.Sort(ts)
		if len(ts) > 0 {
			q := func(f float64) float64 {
				i := min(max(int(math.Ceil(f*float64(len(ts))))-1, 0), len(ts)-1)
				return round4(float64(ts[i]) / 1e9)
			}
			r.DetectP50S, r.DetectP99S, r.DetectFirstS, r.DetectLastS = q(0.5), q(0.99), q(0), q(1)
		}
	}
	if mm.crashT >= 0 {
		r.Crashed = len(s.crashed)
		var exp, got [2]int64
		for _, mi := range s.m.msgs {
			if mi.measured && mi.pub >= 0 {
				k := 0
				if mi.at >= mm.crashT {
					k = 1
				}
				exp[k] += int64(mi.expected)
				got[k] += int64(mi.got)
			}
		}
		r.DeliveryBeforeCrash, r.DeliveryAfterCrash = ratio(got[0], exp[0]), ratio(got[1], exp[1])
	}
	r.FalsePositives = mm.falsePositives
	r.FalsePositiveLog = mm.fpLog
	if r.VirtualS > 0 {
		r.MemberBytesPerNodePerSAll = math.Round(float64(mm.wire) / float64(s.honest) / r.VirtualS)
	}
	if d := r.VirtualS - s.sc.start().Seconds(); d > 0 {
		r.MemberBytesPerNodePerS = math.Round(float64(mm.wireSteady) / float64(s.honest) / d)
		r.CrossZoneMemberBytesPerNodePerS = math.Round(float64(mm.crossSteady) / float64(s.honest) / d)
	}
	r.ViewConvergeS = -1
	if mm.converged {
		r.ViewConvergeS = round4(float64(mm.convergeAt-mm.lastChange) / 1e9)
	}
	r.JoinKnownAllS = -1
	if len(mm.joinTimes) > 0 {
		r.JoinKnownAllS = round4(float64(slices.Max(mm.joinTimes)) / 1e9)
	}
	r.JoinsMeasured, r.JoinsUnknown = len(mm.joinTimes), len(mm.pending)
	r.MemberEvents = map[string]uint64{}
	for k, c := range mm.events {
		if c > 0 {
			r.MemberEvents[membership.EventKind(k).String()] = c
		}
	}
	r.MemberSuspicions, r.MemberRefutations, r.MemberDeaths = mm.suspicions, mm.refutations, mm.deaths
	r.MemberPackets, r.MemberDropsNet, r.MemberDropsOffline = mm.packets, mm.dropNet, mm.dropOffline
	r.Dials, r.DialFailures, r.ConnRefused, r.PeerDisconnects = mm.dials, mm.dialFailures, mm.refused, mm.pmDisconnects
	r.Stalls, r.StallDrops = mm.stalls, mm.stallDrops
	r.Membership = MembershipSwim.String()
	if s.dir != nil {
		mm.notApplicable(r)
	}
}

// notApplicable marks the membership figures of r that a directory-mode
// run cannot measure (no views, no SWIM traffic) as not applicable: -1
// for times and counts, null member events. The peer manager's counters
// (dials, refusals, disconnects), stalls and the delivery around a crash
// still apply.
func (mm *memberMetrics) notApplicable(r *Result) {
	r.Membership = MembershipDirectory.String()
	r.DetectP50S, r.DetectP99S, r.DetectFirstS, r.DetectLastS = -1, -1, -1, -1
	r.DetectMissed, r.DetectUnknown = -1, -1
	r.ViewConvergeS, r.JoinKnownAllS = -1, -1
	r.JoinsMeasured, r.JoinsUnknown = -1, -1
	r.MemberEvents = nil
}

// inPartition reports whether the partition is on, or healed less than
// the longest suspicion (plus a probe) ago: a death declared across the
// split then is the partition's verdict, not a false positive.
func (s *simulator) inPartition() bool {
	p := s.sc.Net.Partition
	if p.At == 0 || s.now < int64(p.At) {
		return false
	}
	mp := s.sc.memberParams()
	grace := time.Duration(mp.SuspicionMaxTimeoutMult)*mp.SuspicionMin(s.honest) + 3*mp.ProbeInterval
	return s.now < int64(p.Heal+grace)
}
