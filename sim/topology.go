package sim

import (
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// Join actions (event arg of evJoin).
const (
	joinHonestAll  = -1 // every honest node comes up and dials (t = HonestStart)
	joinAttackers  = -2 // every attacker dials
	joinHonestDial = -3 // every honest node dials (HonestDialDelay after coming up)
	joinHonestOne  = 0  // ≥ 0: honest node arg comes up (or back) and dials
	actRegraft     = 1  // evAttack: GRAFT node from again
	actSpam        = 2  // evAttack: publish invalid messages to every peer
	actIHave       = 3  // evAttack: advertise fake ids to every peer
	partitionSplit = 1
	partitionHeal  = 2
)

// schedule puts the run's fixed events in the queue: joins, publishes,
// samples, the flash, churn and the partition.
func (s *simulator) schedule() {
	sc := s.sc
	if sc.Attack.HonestSpread > 0 {
		for i := range s.honest {
			at := sc.Attack.HonestStart + time.Duration(int64(sc.Attack.HonestSpread)*int64(i)/int64(s.honest))
			s.q.push(event{at: int64(at), kind: evJoin, arg: int32(i)})
		}
	} else {
		s.q.push(event{at: int64(sc.Attack.HonestStart), kind: evJoin, arg: joinHonestAll})
	}
	if len(s.nodes) > s.honest {
		s.q.push(event{at: int64(sc.Attack.Start), kind: evJoin, arg: joinAttackers})
	}
	if sc.Attack.Kind == AttackCovertFlash {
		s.q.push(event{at: int64(sc.Attack.FlashAt), kind: evFlash})
	}
	s.m.planPublishes()
	s.q.push(event{at: int64(s.sampleEvery()), kind: evSample})
	s.scheduleChurn()
	if p := sc.Net.Partition; p.At > 0 {
		s.q.push(event{at: int64(p.At), kind: evJoin, arg: -10 - partitionSplit})
		s.q.push(event{at: int64(p.Heal), kind: evJoin, arg: -10 - partitionHeal})
	}
}

// join handles an evJoin event.
func (s *simulator) join(e event) error {
	switch a := e.arg; {
	case a == joinHonestAll:
		for i := range s.honest {
			if err := s.up(s.nodes[i]); err != nil {
				return err
			}
		}
		for i := range s.honest {
			s.attackersDial(s.nodes[i])
		}
		if d := s.sc.Attack.HonestDialDelay; d > 0 {
			s.q.push(event{at: s.now + int64(d), kind: evJoin, arg: joinHonestDial})
			return nil
		}
		fallthrough
	case a == joinHonestDial:
		for i := range s.honest {
			s.dialOut(s.nodes[i])
		}
	case a == joinAttackers:
		return s.attackersJoin()
	case a == -10-partitionSplit:
		s.partitioned = true
	case a == -10-partitionHeal:
		s.partitioned = false
	case a >= 0:
		n := s.nodes[a]
		if err := s.up(n); err != nil {
			return err
		}
		s.dialOut(n)
		s.attackersDial(n)
	}
	return nil
}

// up brings honest node n online with a fresh router.
func (s *simulator) up(n *node) error {
	if n.online {
		return nil
	}
	n.online = true
	n.inc++
	n.joinedAt = s.now
	n.timerAt = -1
	return s.startRouter(n, s.sc.Scoring)
}

// dialOut makes honest node n dial Degree random online honest nodes and
// MixedDegree random online nodes of the whole population. Eclipse targets
// dial one honest node and attackers only.
func (s *simulator) dialOut(n *node) {
	t := s.sc.Topology
	deg, mixed := t.Degree, t.MixedDegree
	if s.isTarget(n.idx) {
		deg, mixed = 1, mixed+t.Degree-1
	}
	s.dialRandom(n, deg, 0, int32(s.honest))
	if mixed > 0 && (s.attackersUp || len(s.nodes) == s.honest) {
		s.dialRandom(n, mixed, 0, int32(len(s.nodes)))
	}
}

// dialRandom makes n dial k distinct random online nodes in [lo, hi),
// giving up after a bounded number of tries.
func (s *simulator) dialRandom(n *node, k int, lo, hi int32) {
	for tries := 0; k > 0 && tries < 8*k+16; tries++ {
		j := lo + s.rng.Int32N(hi-lo)
		if s.connect(n, s.nodes[j]) {
			k--
		}
	}
}

// isTarget reports whether honest node i is an eclipse target.
func (s *simulator) isTarget(i int32) bool {
	if s.sc.Attack.Kind != AttackEclipse {
		return false
	}
	return int(i) < s.targets()
}

// targets returns the number of eclipse targets.
func (s *simulator) targets() int {
	return min(max(s.sc.Attack.Targets, 1), s.honest)
}

func linkKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// connect opens a connection from a (outbound) to b (inbound) when both are
// online, distinct and not yet connected, and reports whether it did.
func (s *simulator) connect(a, b *node) bool {
	if a == b || !a.online || !b.online {
		return false
	}
	k := linkKey(a.idx, b.idx)
	if _, ok := s.links[k]; ok {
		return false
	}
	s.links[k] = struct{}{}
	a.peers = append(a.peers, b.idx)
	b.peers = append(b.peers, a.idx)
	s.addPeer(a, b, router.Outbound)
	s.addPeer(b, a, router.Inbound)
	return true
}

// addPeer tells n that peer p connected.
func (s *simulator) addPeer(n, p *node, dir router.Direction) {
	if n.r != nil {
		n.r.AddPeer(s.tnow(), p.id, router.PeerOptions{Direction: dir})
		s.flush(n)
		return
	}
	// A lightweight attacker announces the topic and grafts at once.
	s.sendRPC(n, p.idx, &rpc.RPC{
		Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: Topic}},
		Graft:         []rpc.Graft{{Topic: Topic}},
	})
}

// disconnect closes the connection between a and b; both sides' routers
// forget each other.
func (s *simulator) disconnect(a, b *node) {
	delete(s.links, linkKey(a.idx, b.idx))
	a.unlink(b.idx)
	b.unlink(a.idx)
	for _, x := range [2][2]*node{{a, b}, {b, a}} {
		if n := x[0]; n.r != nil && n.online {
			n.r.RemovePeer(s.tnow(), x[1].id)
			s.flush(n)
		}
	}
}

// leave takes honest node n offline: every connection closes and its
// router is dropped (a later join starts a fresh one).
func (s *simulator) leave(n *node) {
	if !n.online {
		return
	}
	s.m.beforeLeave(n)
	for len(n.peers) > 0 {
		s.disconnect(n, s.nodes[n.peers[len(n.peers)-1]])
	}
	n.online = false
	n.r, n.scorer = nil, nil
	n.timerAt = -1
}

// assignSides puts the first Partition.Fraction of honest nodes on side 1.
func (s *simulator) assignSides() {
	f := s.sc.Net.Partition.Fraction
	if f == 0 {
		f = 0.5
	}
	cut := int(f * float64(s.honest))
	for i := 0; i < cut; i++ {
		s.nodes[i].side = 1
	}
}

// scheduleChurn schedules leaves and rejoins of honest nodes.
func (s *simulator) scheduleChurn() {
	c := s.sc.Net.Churn
	if c.Interval <= 0 {
		return
	}
	k := max(1, int(c.Fraction*float64(s.honest)))
	for at := c.Start; at < c.Stop; at += c.Interval {
		for range k {
			i := s.rng.Int32N(int32(s.honest))
			s.q.push(event{at: int64(at), kind: evLeave, to: i})
			s.q.push(event{at: int64(at + c.Downtime), kind: evJoin, arg: i})
		}
	}
}
