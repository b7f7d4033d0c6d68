package sim

import (
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// attackersJoin brings every attacker online and makes it dial its
// victims; periodic attacks start.
func (s *simulator) attackersJoin() error {
	s.attackersUp = true
	for i := s.honest; i < len(s.nodes); i++ {
		a := s.nodes[i]
		a.online = true
		a.inc++
		a.joinedAt = s.now
		if s.sc.Attack.routed() {
			if err := s.startRouter(a, false); err != nil {
				return err
			}
		}
	}
	for i := s.honest; i < len(s.nodes); i++ {
		a := s.nodes[i]
		if s.sc.Attack.hasTargets() {
			for t := range s.targets() {
				if tn := s.nodes[t]; !s.sc.Attack.Near || tn.zone == a.zone {
					s.connect(a, tn)
				}
			}
		}
		s.dialRandom(a, s.sc.Topology.AttackerDegree, 0, int32(s.honest), s.victimZone(a))
		s.startPeriodic(a)
	}
	// Honest nodes already up keep discovering peers: from now on most of
	// what they find are attackers.
	if s.sc.Attack.Kind != AttackEclipse {
		for i := range s.honest {
			if n := s.nodes[i]; n.online {
				s.dialRandom(n, s.sc.Topology.MixedDegree, 0, int32(len(s.nodes)), anyZone)
			}
		}
	}
	return nil
}

// routed reports whether the attackers run a Router (they forward, all
// or part of, what honest nodes send them); the others are lightweight.
func (a *Attack) routed() bool {
	return a.Kind == AttackCovertFlash || a.Kind == AttackCensor || a.Kind == AttackDegrade
}

// hasTargets reports whether the attack aims at Targets honest nodes,
// which every attacker dials.
func (a *Attack) hasTargets() bool {
	return a.Kind == AttackEclipse || a.Kind == AttackEclipsePublishers || a.Kind == AttackCensor
}

// filterSends returns what routed attacker a really sends to node to of
// r: under AttackCensor nothing of the target's (and no message or IHAVE
// to it), under AttackDegrade the messages it keeps; r itself for the
// other kinds. It never changes r (the router owns it).
func (s *simulator) filterSends(a *node, to int32, r *rpc.RPC) *rpc.RPC {
	switch s.sc.Attack.Kind {
	case AttackCensor:
		if s.isTarget(to) {
			c := *r
			c.Publish, c.IHave, c.IWant = nil, nil, nil
			return &c
		}
		return s.keepPublish(r, func(m *rpc.Message) bool {
			k, ok := s.m.index(m)
			return !ok || !s.isTarget(s.m.msgs[k].pub)
		})
	case AttackDegrade:
		share := s.sc.Attack.Degrade
		if share == 0 {
			share = 0.5
		}
		return s.keepPublish(r, func(m *rpc.Message) bool {
			k, ok := s.m.index(m)
			if !ok {
				return true
			}
			h := splitmix64(s.seed ^ uint64(a.idx)<<32 ^ uint64(k))
			return float64(h>>11)/(1<<53) >= share
		})
	}
	return r
}

// keepPublish returns r with only the messages keep accepts (r itself
// when it keeps them all).
func (s *simulator) keepPublish(r *rpc.RPC, keep func(*rpc.Message) bool) *rpc.RPC {
	var kept []rpc.Message
	for i := range r.Publish {
		if keep(&r.Publish[i]) {
			kept = append(kept, r.Publish[i])
			s.m.attackKept++
		} else {
			s.m.attackDropped++
		}
	}
	if len(kept) == len(r.Publish) {
		return r
	}
	c := *r
	c.Publish = kept
	return &c
}

// attackersDial makes random attackers dial honest newcomer n, as many as
// an honest node gets on average (AttackerDegree × PerHonest), once the
// attackers are up; under Attack.Near, attackers of n's zone.
func (s *simulator) attackersDial(n *node) {
	na := len(s.nodes) - s.honest
	if na == 0 || s.now < int64(s.sc.Attack.Start) {
		return
	}
	k := int(float64(s.sc.Topology.AttackerDegree)*s.sc.Attack.PerHonest + 0.5)
	budget := 8*k + 16
	if s.sc.Attack.Near {
		budget *= int(s.sc.Net.Latency.numZones())
	}
	for tries := 0; k > 0 && tries < budget; tries++ {
		a := s.nodes[s.honest+int(s.rng.Int32N(int32(na)))]
		if s.sc.Attack.Near && a.zone != n.zone {
			continue
		}
		if s.connect(a, n) {
			k--
		}
	}
}

// startPeriodic schedules attacker a's first periodic action.
func (s *simulator) startPeriodic(a *node) {
	// Spread the attackers' actions over one period so they do not all
	// fire at the same instant.
	jit := func(p time.Duration) int64 { return s.now + s.rng.Int64N(int64(p)) }
	switch s.sc.Attack.Kind {
	case AttackSpam:
		s.q.push(event{at: jit(s.spamInterval()), kind: evAttack, to: a.idx, arg: actSpam})
	case AttackIHave:
		s.q.push(event{at: jit(s.params.HeartbeatInterval), kind: evAttack, to: a.idx, arg: actIHave})
	}
}

func (s *simulator) spamInterval() time.Duration {
	if s.sc.Attack.SpamInterval == 0 {
		return time.Second
	}
	return s.sc.Attack.SpamInterval
}

// attackAction runs one attacker action.
func (s *simulator) attackAction(e event) {
	a := s.nodes[e.to]
	if !a.online {
		return
	}
	switch e.arg {
	case actRegraft:
		if s.linked(a.idx, e.from) {
			s.sendRPC(a, e.from, &rpc.RPC{Graft: []rpc.Graft{{Topic: s.topics[0].Name}}})
		}
	case actSpam:
		s.spam(a)
		s.q.push(event{at: s.now + int64(s.spamInterval()), kind: evAttack, to: a.idx, arg: actSpam})
	case actIHave:
		s.advertise(a)
		s.q.push(event{at: s.now + int64(s.params.HeartbeatInterval), kind: evAttack, to: a.idx, arg: actIHave})
	}
}

// spam sends a fresh invalid message to every peer of a.
func (s *simulator) spam(a *node) {
	a.spamSeq++
	data := make([]byte, s.topics[0].Traffic.Size)
	data[0] = invalidMarker
	binary.BigEndian.PutUint32(data[1:], uint32(a.idx))
	binary.BigEndian.PutUint64(data[5:], a.spamSeq)
	r := &rpc.RPC{Publish: []rpc.Message{{Data: data, Topic: s.topics[0].Name}}}
	for _, p := range a.peers {
		s.sendRPC(a, p, r)
	}
	s.m.spamSent += uint64(len(a.peers))
}

// advertise sends an IHAVE of made-up ids to every peer of a; the ids
// never exist, so every IWANT for them is a broken promise.
func (s *simulator) advertise(a *node) {
	n := s.sc.Attack.IHaveIDs
	if n == 0 {
		n = 50
	}
	ids := s.ihaveIDs[:0]
	var b [16]byte
	for range n {
		a.spamSeq++
		binary.BigEndian.PutUint64(b[:], uint64(a.idx))
		binary.BigEndian.PutUint64(b[8:], a.spamSeq)
		ids = append(ids, hex.EncodeToString(b[:]))
	}
	s.ihaveIDs = ids
	r := &rpc.RPC{IHave: []rpc.IHave{{Topic: s.topics[0].Name, IDs: ids}}}
	for _, p := range a.peers {
		s.sendRPC(a, p, r)
	}
}
