package sim

import (
	"time"

	"github.com/gwyh/gwyh/membership"
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
	s.scheduleStalls()
	if c := sc.Net.Crash; c.At > 0 {
		s.q.push(event{at: int64(c.At), kind: evCrash})
	}
	if s.dir == nil {
		s.q.push(event{at: int64(checkEvery), kind: evCheck})
	}
	if s.m.cost != nil {
		s.q.push(event{at: int64(s.m.cost.period), kind: evScoreCheck})
	}
	if c := sc.Net.Control; c.ReportInterval > 0 {
		s.q.push(event{at: int64(c.ReportInterval), kind: evControl, arg: 0})
	}
	if c := sc.Net.Control; c.PingInterval > 0 {
		s.q.push(event{at: int64(c.PingInterval), kind: evControl, arg: 1})
	}
	if p := sc.Net.Partition; p.At > 0 {
		s.q.push(event{at: int64(p.At), kind: evJoin, arg: -10 - partitionSplit})
		s.q.push(event{at: int64(p.Heal), kind: evJoin, arg: -10 - partitionHeal})
		if s.dir != nil {
			s.schedulePartition()
		}
	}
}

// join handles an evJoin event.
func (s *simulator) join(e event) error {
	switch a := e.arg; {
	case a == joinHonestAll:
		delay := s.sc.Attack.HonestDialDelay
		s.mm.mass = true
		for i := range s.honest {
			if err := s.up(s.nodes[i], delay == 0); err != nil {
				return err
			}
		}
		s.mm.mass = false
		for i := range s.honest {
			s.attackersDial(s.nodes[i])
		}
		if delay > 0 {
			s.q.push(event{at: s.now + int64(delay), kind: evJoin, arg: joinHonestDial})
			return nil
		}
		for i := range s.honest {
			s.dialOut(s.nodes[i])
		}
	case a == joinHonestDial:
		// Attack at dawn: the honest nodes' peer managers and membership
		// start only now, so honest nodes dial each other only now.
		for i := range s.honest {
			if n := s.nodes[i]; n.online && n.pm == nil {
				if err := s.startCluster(n); err != nil {
					return err
				}
			}
			s.dialOut(s.nodes[i])
		}
	case a == joinAttackers:
		return s.attackersJoin()
	case a == -10-partitionSplit:
		s.partitioned = true
		s.mm.changed()
	case a == -10-partitionHeal:
		s.partitioned = false
		s.mm.changed()
	case a >= 0:
		n := s.nodes[a]
		if err := s.up(n, true); err != nil {
			return err
		}
		s.dialOut(n)
		s.attackersDial(n)
	}
	return nil
}

// up brings honest node n online with a fresh router and, when cluster
// is set, membership and peer manager (which dials its seed).
func (s *simulator) up(n *node, cluster bool) error {
	if n.online {
		return nil
	}
	n.online = true
	n.inc++
	n.joinedAt = s.now
	n.timerAt = -1
	n.stalledUntil = 0
	if err := s.startRouter(n, s.sc.Scoring); err != nil {
		return err
	}
	if cluster {
		if err := s.startCluster(n); err != nil {
			return err
		}
	}
	s.mm.joined(n)
	return nil
}

// dialOut makes honest node n dial, besides what its peer manager
// dials, Degree random online honest nodes and MixedDegree random online
// nodes of the whole population (scripted dials of attack scenarios).
// Eclipse targets dial one honest node and attackers only.
func (s *simulator) dialOut(n *node) {
	t := s.sc.Topology
	for _, d := range t.Dials {
		if d[0] == int(n.idx) {
			s.connect(n, s.nodes[d[1]])
		}
	}
	deg, mixed := t.Degree, t.MixedDegree
	if s.sc.Attack.Kind == AttackEclipse && s.isTarget(n.idx) && deg > 0 {
		deg, mixed = 1, mixed+t.Degree-1
	}
	s.dialRandom(n, deg, 0, int32(s.honest), anyZone)
	if mixed > 0 && (s.attackersUp || len(s.nodes) == s.honest) {
		s.dialRandom(n, mixed, 0, int32(len(s.nodes)), anyZone)
	}
}

// anyZone: dialRandom picks nodes of every zone.
const anyZone = -1

// dialRandom makes n dial k distinct random online nodes in [lo, hi) of
// zone (every zone: anyZone), giving up after a bounded number of tries.
func (s *simulator) dialRandom(n *node, k int, lo, hi, zone int32) {
	budget := 8*k + 16
	if zone != anyZone {
		budget *= int(s.sc.Net.Latency.numZones())
	}
	for tries := 0; k > 0 && tries < budget; tries++ {
		j := lo + s.rng.Int32N(hi-lo)
		if zone != anyZone && s.nodes[j].zone != zone {
			continue
		}
		if s.connect(n, s.nodes[j]) {
			k--
		}
	}
}

// victimZone returns the zone whose honest nodes attacker a dials and is
// dialled by: its own under Attack.Near, anyZone otherwise.
func (s *simulator) victimZone(a *node) int32 {
	if s.sc.Attack.Near {
		return a.zone
	}
	return anyZone
}

// isTarget reports whether honest node i is an eclipse target.
func (s *simulator) isTarget(i int32) bool {
	if !s.sc.Attack.hasTargets() {
		return false
	}
	return int(i) < s.targets()
}

// targets returns the number of eclipse targets.
func (s *simulator) targets() int {
	if s.sc.Attack.Kind == AttackCensor {
		return 1
	}
	return min(max(s.sc.Attack.Targets, 1), s.honest)
}

// connect opens a connection from a (outbound) to b (inbound) when both are
// online, distinct and not yet connected, and both peer managers accept
// it, and reports whether it did. A refusal at b ends a's fresh session
// (its peer manager counts a short session). An outbound connection of an
// honest node to an honest node its membership does not hold as up joins
// the cluster through it.
func (s *simulator) connect(a, b *node) bool {
	if a == b || !a.online || !b.online {
		return false
	}
	if a.endTo(b.idx) >= 0 || b.endTo(a.idx) >= 0 {
		return false // connected, or one end still closing
	}
	now := s.tnow()
	if a.pm != nil && !a.pm.Connected(now, b.id, b.addr, true) {
		s.mm.refused++
		s.flush(a)
		return false
	}
	if b.pm != nil && !b.pm.Connected(now, a.id, a.addr, false) {
		// The session was up until b saw the hello: the join went out.
		s.mm.refused++
		s.joinThrough(a, b)
		if a.pm != nil {
			a.pm.Disconnected(now, b.id)
			s.flush(a)
		}
		s.flush(b)
		return false
	}
	s.linkGen++
	a.link(b.idx, s.linkGen, true)
	b.link(a.idx, s.linkGen, false)
	s.addPeer(a, b, router.Outbound)
	s.addPeer(b, a, router.Inbound)
	s.joinThrough(a, b)
	return true
}

// joinThrough: an outbound session of honest node a to honest node b
// that a's membership does not hold as up joins the cluster through b
// (node's link).
func (s *simulator) joinThrough(a, b *node) {
	if a.mem == nil || b.mem == nil || !a.online {
		return
	}
	if m, ok := a.mem.Member(b.id); !ok || m.State == membership.StateDead || m.State == membership.StateLeft {
		a.mem.Join(s.tnow(), b.id, b.addr)
		s.flush(a)
	}
}

// addPeer tells n that peer p connected.
func (s *simulator) addPeer(n, p *node, dir router.Direction) {
	if n.r != nil {
		now := s.tnow()
		opts := router.PeerOptions{Direction: dir, Record: []byte(p.addr), Zone: s.zoneOf(p)}
		if s.ipScoring {
			opts.IP = p.ip
		}
		n.r.AddPeer(now, p.id, opts)
		n.r.SetRTT(now, p.id, s.rtt(n, p))
		s.flush(n)
		return
	}
	// A lightweight attacker announces the attacked topic and grafts at
	// once.
	s.sendRPC(n, p.idx, &rpc.RPC{
		Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: s.topics[0].Name}},
		Graft:         []rpc.Graft{{Topic: s.topics[0].Name}},
	})
}

// disconnect closes a's end of its connection with b now: a's router and
// peer manager forget b. b learns it one link delay later (hangup), when
// the transport's close reaches it, as a real peer does; until then b
// still sends on its end (a counts those packets as from an unknown peer).
func (s *simulator) disconnect(a, b *node) {
	i := a.endTo(b.idx)
	if i < 0 {
		return
	}
	gen := a.ends[i].gen
	a.unlink(b.idx)
	s.closeEnd(a, b)
	s.q.push(event{at: s.now + s.delay(a, b), kind: evHangup, to: b.idx, from: a.idx, arg: gen})
}

// hangup closes e.to's end of the connection e.from closed, unless it
// has closed it itself meanwhile or the close is of an earlier connection.
func (s *simulator) hangup(e event) {
	b, a := s.nodes[e.to], s.nodes[e.from]
	if i := b.endTo(a.idx); i < 0 || b.ends[i].gen != e.arg {
		return
	}
	if s.defer_(b, e) {
		return
	}
	b.unlink(a.idx)
	s.closeEnd(b, a)
}

// closeEnd tells n, which has closed its end of its connection with p,
// when it is up: its router and peer manager forget p.
func (s *simulator) closeEnd(n, p *node) {
	if n.r != nil && n.online {
		now := s.tnow()
		n.r.RemovePeer(now, p.id)
		if n.pm != nil {
			n.pm.Disconnected(now, p.id)
		}
		s.flush(n)
	}
}

// leave takes honest node n offline gracefully, as node's Close does: its
// membership announces the leave, every connection closes and its state
// machines are dropped (a later join starts fresh ones, with a new
// incarnation learnt through its seed).
func (s *simulator) leave(n *node) {
	if !n.online {
		return
	}
	s.m.beforeLeave(n)
	s.mm.beforeLeave(n)
	if n.mem != nil {
		n.mem.Leave(s.tnow())
		s.flush(n)
	}
	if s.dir != nil && n.pm != nil {
		s.dirGoneAfter(n, s.dir.spread) // the leave's gossip
	}
	n.pm = nil // the disconnects below need not reach it
	for len(n.peers) > 0 {
		s.disconnect(n, s.nodes[n.peers[len(n.peers)-1]])
	}
	n.online = false
	n.r, n.scorer, n.mem = nil, nil, nil
	n.timerAt, n.memAt, n.pmAt = -1, -1, -1
	s.mm.changed()
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
