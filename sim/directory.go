package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gwyh/gwyh/peering"
)

// The directory membership mode (MembershipDirectory): instead of every
// honest node running SWIM with a full view of the cluster (N² member
// records: ≈ 38 GB at 10,000 nodes with the peer managers' tables), the
// simulator keeps one shared directory of the live honest nodes and feeds
// each node's peer manager a bounded random sample of it, through the
// calls membership events make in swim mode (peering.Manager.Member):
//
//   - a node that comes up joins the directory spread later (the gossip
//     of its join to every member; until then nobody is offered it, as
//     SWIM views learn a joiner over time, so that older nodes are dialled
//     more, as in swim mode); then its peer manager is offered
//     DirectorySample random members, and it is offered to as many random
//     live nodes' (every SWIM member would learn of it);
//   - a node that leaves gracefully is taken out spread after the leave;
//     one that crashes detect after the crash (a first probe, the failed
//     probe, the minimum suspicion and the gossip of the death, from the
//     membership parameters): until then it stays a candidate that peer
//     managers may dial (and fail to reach), and crashed nodes keep their
//     connections, as with SWIM. Then every live node forgets it, ends its
//     connection to it, and gets another member in its place when it was
//     one of its sample;
//   - under a partition, each node stops seeing the other side (forgets
//     it, ends its connections across, leaves it out of samples) detect
//     after the split, give or take spread (nodes learn deaths one by
//     one), unless the heal comes first; it sees it again within spread
//     after the heal (the refutations' gossip), when it is offered a
//     fresh sample.
//
// The peer managers, the seed and the scripted dials work as in swim
// mode. No membership payload is sent, so the membership figures of the
// Result (detection, convergence, member bytes) do not apply.

// MembershipMode says how the honest nodes of a run learn of each other.
type MembershipMode uint8

const (
	// MembershipAuto is MembershipSwim up to AutoDirectoryNodes honest
	// nodes, MembershipDirectory above.
	MembershipAuto MembershipMode = iota
	// MembershipSwim: every honest node runs membership.Membership (SWIM
	// with Lifeguard) with a full view, as a deployment does.
	MembershipSwim
	// MembershipDirectory: no membership; a shared directory of the live
	// honest nodes feeds each peer manager a bounded random sample.
	MembershipDirectory
)

// AutoDirectoryNodes is the most honest nodes MembershipAuto runs in swim
// mode, so that every run of up to 2,000 nodes keeps its swim results;
// full views are N² (2,000 nodes × 100 messages peak at 5.2 GiB RSS,
// directory mode at 0.74 GiB).
const AutoDirectoryNodes = 2000

// defaultDirectorySample is the members the directory offers each peer
// manager when Scenario.DirectorySample is zero: more than twice
// PeersLow (12), so that dials, trims and bans leave candidates, and small
// enough that the tables stay small: a peer manager holds about twice as
// many (the sample and the joiners offered to it), ≈ 75 entries of ≈ 300
// bytes, 0.2 GB at 10,000 nodes (64 took 0.4 GB).
const defaultDirectorySample = 32

var membershipNames = [...]string{"auto", "swim", "directory"}

// String returns the mode's name.
func (m MembershipMode) String() string {
	if int(m) < len(membershipNames) {
		return membershipNames[m]
	}
	return "unknown"
}

// MarshalText returns the mode's name, as in a config file.
func (m MembershipMode) MarshalText() ([]byte, error) {
	if int(m) >= len(membershipNames) {
		return nil, fmt.Errorf("%w: membership mode %d", ErrConfig, uint8(m))
	}
	return []byte(membershipNames[m]), nil
}

// UnmarshalText sets m to the mode named text.
func (m *MembershipMode) UnmarshalText(text []byte) error {
	mode, err := ParseMembershipMode(string(text))
	if err != nil {
		return err
	}
	*m = mode
	return nil
}

// ParseMembershipMode returns the mode named s: auto, swim or directory.
func ParseMembershipMode(s string) (MembershipMode, error) {
	for i, n := range membershipNames {
		if s == n {
			return MembershipMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown membership mode %q (want one of %s)", s, strings.Join(membershipNames[:], ", "))
}

// membershipMode returns the mode the run uses: MembershipAuto resolved
// by the number of honest nodes.
func (s *Scenario) membershipMode() MembershipMode {
	if s.MembershipMode != MembershipAuto {
		return s.MembershipMode
	}
	if s.Nodes > AutoDirectoryNodes {
		return MembershipDirectory
	}
	return MembershipSwim
}

// directorySample returns the sample size of the directory mode.
func (s *Scenario) directorySample() int {
	if s.DirectorySample > 0 {
		return s.DirectorySample
	}
	return defaultDirectorySample
}

// Directory actions (the arg of an evDirectory event; to is the node,
// from its incarnation).
const (
	dirLearn    = iota // node to gets its sample, and is offered to others unless mass
	dirLearnOwn        // node to gets its sample only (the initial mass join)
	dirGone            // node to, which left or crashed, leaves the directory
	dirSplit           // node to stops seeing the other side of the partition
	dirHeal            // it sees it again
)

// directory is the shared list of live honest nodes of the directory
// mode.
type directory struct {
	live []int32 // in order of addition, with swap-removal
	pos  []int32 // pos[i]: index of node i in live, -1 when absent
	rng  *rand.Rand
	// hidden[i]: node i no longer sees the other side of the partition.
	hidden []bool
	// spread and detect are the delays of the mode (see dirDelays).
	spread, detect time.Duration
	k              int
	picked         []int32 // scratch of sample
}

func newDirectory(s *simulator) *directory {
	d := &directory{
		pos:    make([]int32, s.honest),
		hidden: make([]bool, s.honest),
		rng:    rand.New(rand.NewPCG(s.seed^0x3c6ef372fe94f82b, 0xd1)),
		k:      s.sc.directorySample(),
	}
	for i := range d.pos {
		d.pos[i] = -1
	}
	d.spread, d.detect = dirDelays(s.sc, s.honest)
	return d
}

// dirDelays returns the delays of the directory mode for n honest nodes,
// from the membership parameters (SWIM's timings): spread, the gossip of
// an update to every member, ceil(log_GossipNodes(n)) rounds of
// GossipInterval; detect, a crash known everywhere: a first probe of the
// dead member (one ProbeInterval), the failed probe (max(ProbeInterval,
// 3 × ProbeTimeout)), the minimum suspicion (SuspicionMin(n)) and spread.
func dirDelays(sc *Scenario, n int) (spread, detect time.Duration) {
	p := sc.memberParams()
	fan := max(p.GossipNodes, 2)
	rounds := 0
	for reach := 1; reach < n; reach *= fan {
		rounds++
	}
	spread = time.Duration(max(rounds, 1)) * p.GossipInterval
	detect = p.ProbeInterval + max(p.ProbeInterval, 3*p.ProbeTimeout) + p.SuspicionMin(n) + spread
	return spread, detect
}

func (d *directory) add(i int32) {
	if d.pos[i] >= 0 {
		return
	}
	d.pos[i] = int32(len(d.live))
	d.live = append(d.live, i)
}

func (d *directory) remove(i int32) {
	p := d.pos[i]
	if p < 0 {
		return
	}
	last := d.live[len(d.live)-1]
	d.live[p], d.pos[last] = last, p
	d.live = d.live[:len(d.live)-1]
	d.pos[i] = -1
}

// sample returns up to k distinct members of the directory other than
// self that self sees (visible), picked at random; the slice is reused
// by the next call.
func (d *directory) sample(self int32, k int, visible func(j int32) bool) []int32 {
	d.picked = d.picked[:0]
	if len(d.live) <= k+1 {
		for _, j := range d.live {
			if j != self && visible(j) {
				d.picked = append(d.picked, j)
			}
		}
		return d.picked
	}
	for tries := 0; len(d.picked) < k && tries < 8*k+16; tries++ {
		j := d.live[d.rng.IntN(len(d.live))]
		if j == self || !visible(j) || containsIdx(d.picked, j) {
			continue
		}
		d.picked = append(d.picked, j)
	}
	return d.picked
}

func containsIdx(s []int32, x int32) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// target returns honest node j as a peer manager candidate.
func (s *simulator) target(j *node) peering.Target {
	return peering.Target{ID: j.id, Addr: j.addr, Zone: s.zoneOf(j)}
}

// sees reports whether honest node n sees node j in the directory: not
// across a partition the directory hides.
func (s *simulator) sees(n *node, j int32) bool {
	return s.nodes[j].side == n.side || (!s.dir.hidden[n.idx] && !s.dir.hidden[j])
}

// dirStart gives honest node n (with a fresh peer manager) to the
// directory: spread later it is a member and learns its sample.
func (s *simulator) dirStart(n *node) {
	act := int32(dirLearn)
	if s.mm.mass {
		act = dirLearnOwn
	}
	s.q.push(event{at: s.now + int64(s.dir.spread), kind: evDirectory, to: n.idx, from: n.inc, arg: act})
}

// dirGoneAfter schedules n's departure from the directory after d.
func (s *simulator) dirGoneAfter(n *node, d time.Duration) {
	s.q.push(event{at: s.now + int64(d), kind: evDirectory, to: n.idx, from: n.inc, arg: dirGone})
}

// directoryEvent runs an evDirectory event. A stalled node learns what
// concerns it alone (its sample, the partition) when it resumes; the
// departures every node learns reach it at once.
func (s *simulator) directoryEvent(e event) {
	if e.arg != dirGone && s.defer_(s.nodes[e.to], e) {
		return
	}
	switch e.arg {
	case dirLearn, dirLearnOwn:
		n := s.nodes[e.to]
		if !n.online || n.inc != e.from || n.pm == nil {
			return
		}
		s.dir.add(n.idx)
		s.offerSample(n, s.dir.k)
		if e.arg == dirLearn {
			s.announce(n)
		}
	case dirGone:
		n := s.nodes[e.to]
		if n.online && n.inc != e.from {
			return // back with a new incarnation before all learnt it left
		}
		s.dir.remove(n.idx)
		s.forgetAll(n)
	case dirSplit:
		s.dir.hidden[e.to] = true
		s.hideAcross(s.nodes[e.to])
	case dirHeal:
		s.dir.hidden[e.to] = false
		if n := s.nodes[e.to]; n.online && n.pm != nil {
			s.offerSample(n, s.dir.k)
		}
	}
}

// offerSample offers k random members of the directory to n's peer
// manager.
func (s *simulator) offerSample(n *node, k int) {
	now := s.tnow()
	for _, j := range s.dir.sample(n.idx, k, func(j int32) bool { return s.sees(n, j) }) {
		n.pm.Member(now, s.target(s.nodes[j]), true)
	}
	s.flush(n)
}

// announce offers n to k random live members' peer managers, as SWIM's
// gossip of a join would offer it to every member's.
func (s *simulator) announce(n *node) {
	now := s.tnow()
	t := s.target(n)
	for _, j := range s.dir.sample(n.idx, s.dir.k, func(j int32) bool { return s.sees(n, j) }) {
		m := s.nodes[j]
		if m.online && m.pm != nil {
			m.pm.Member(now, t, true)
			s.flush(m)
		}
	}
}

// forgetAll makes every live honest node forget the departed node d, as
// a SWIM Dead or Leave event does: its peer manager drops the candidate
// (a sample member is replaced by another), and a connection to d ends.
func (s *simulator) forgetAll(d *node) {
	now := s.tnow()
	t := s.target(d)
	for i := range s.honest {
		n := s.nodes[i]
		if n == d || !n.online || n.pm == nil {
			continue
		}
		_, src, known := n.pm.Candidate(d.id)
		linked := s.linked(n.idx, d.idx)
		if !known && !linked {
			continue
		}
		n.pm.Member(now, t, false)
		if linked {
			s.disconnect(n, d)
		}
		if known && src == peering.SourceMember {
			s.offerSample(n, 1)
		} else {
			s.flush(n)
		}
	}
}

// schedulePartition schedules, for each honest node, when it stops
// seeing the other side of Network.Partition and when it sees it again:
// SWIM nodes learn the deaths across a split one by one, detect after it
// give or take spread, and the refutations after the heal within about
// spread. A node whose detection would come after the heal hides
// nothing (its suspicions are refuted).
func (s *simulator) schedulePartition() {
	p := s.sc.Net.Partition
	for i := range s.honest {
		jitter := time.Duration(s.dir.rng.Int64N(2*int64(s.dir.spread)+1)) - s.dir.spread
		hide := p.At + s.dir.detect + jitter
		if hide >= p.Heal {
			continue
		}
		back := p.Heal + time.Duration(s.dir.rng.Int64N(int64(s.dir.spread)+1))
		s.q.push(event{at: int64(hide), kind: evDirectory, to: int32(i), arg: dirSplit})
		s.q.push(event{at: int64(back), kind: evDirectory, to: int32(i), arg: dirHeal})
	}
}

// hideAcross makes honest node n forget the nodes across the partition,
// and end its connections to them, as SWIM's death declarations across a
// split do.
func (s *simulator) hideAcross(n *node) {
	if !n.online || n.pm == nil {
		return
	}
	now := s.tnow()
	for j := range s.honest {
		m := s.nodes[j]
		if m.side == n.side {
			continue
		}
		if _, _, ok := n.pm.Candidate(m.id); ok {
			n.pm.Member(now, s.target(m), false)
		}
	}
	var across []int32
	for _, j := range n.peers {
		if p := s.nodes[j]; !p.attacker && p.side != n.side {
			across = append(across, j)
		}
	}
	for _, j := range across {
		if s.linked(n.idx, j) {
			s.disconnect(n, s.nodes[j])
		}
	}
	s.flush(n)
}
