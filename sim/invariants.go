package sim

// afterTick checks, after each heartbeat of honest node n, what the router
// promises about its mesh: at most Dhi + Dout peers (pruning brings it to
// D when over Dhi, but the outbound quota is topped up afterwards in the
// same heartbeat, as in go-libp2p-pubsub), plus OpportunisticGraftPeers
// after a heartbeat that grafted opportunistically (it comes last, above
// any bound); only connected peers; and,
// in runs without attackers, churn or partitions and once the traffic has
// started, at least Dlo peers when n has plenty of connected peers it may
// graft (peers in a PRUNE backoff with it do not count: a seed that pruned
// the crowd that joined through it waits out their backoffs).
func (m *metrics) afterTick(n *node) {
	st := n.r.Stats()
	if st.Heartbeats == n.heartbeats {
		return
	}
	prev := n.heartbeats
	n.heartbeats = st.Heartbeats
	// An opportunistic graft comes last in a heartbeat, above any bound.
	og := uint64(m.s.params.OpportunisticGraftTicks)
	grafted := og > 0 && st.Heartbeats/og != prev/og
	for i := range m.s.topics {
		m.checkMesh(n, m.s.topics[i].Name, grafted)
	}
}

// checkMesh checks n's mesh of topic after a heartbeat (afterTick);
// grafted: the heartbeat may have grafted opportunistically.
func (m *metrics) checkMesh(n *node, topic string, grafted bool) {
	s := m.s
	mesh := n.r.Mesh(topic)
	p := s.params
	in := "" // which topic, in violations of runs with several
	if len(s.topics) > 1 {
		in = " in " + topic
	}
	bound := p.Dhi + p.Dout
	if grafted {
		bound += p.OpportunisticGraftPeers
	}
	if len(mesh) > bound {
		m.addViolation("node %d: mesh degree%s %d > Dhi+Dout %d (+ opportunistic grafts) after a heartbeat", n.idx, in, len(mesh), bound)
	}
	for _, id := range mesh {
		j, ok := s.byID[id]
		if !ok {
			m.addViolation("node %d: unknown mesh peer %v", n.idx, id)
			continue
		}
		if !s.linked(n.idx, j) {
			m.addViolation("node %d: mesh peer %d is not connected", n.idx, j)
		}
	}
	if m.stable() && len(mesh) < p.Dlo && len(n.peers) >= 2*p.Dhi {
		graftable := 0
		for _, j := range n.peers {
			if !n.r.Stale(s.nodes[j].id, s.tnow()) {
				graftable++
			}
		}
		if graftable >= 2*p.Dhi {
			m.addViolation("node %d: mesh degree%s %d < Dlo %d with %d peers it may graft", n.idx, in, len(mesh), p.Dlo, graftable)
		}
	}
}

// stable reports whether the Dlo invariant applies now: honest nodes only,
// no churn or partition, the traffic has started.
func (m *metrics) stable() bool {
	sc := m.s.sc
	return len(m.s.nodes) == m.s.honest && sc.Net.Churn.Interval == 0 &&
		sc.Net.Partition.At == 0 && sc.Net.Crash.At == 0 && sc.Net.Stalls.Interval == 0 &&
		m.s.now >= int64(sc.start())
}

// sample records the scores honest nodes give honest and attacker peers,
// the attackers' share of honest mesh slots and, with scoring, the shares
// of pairs on the wrong side of each threshold (scoreCost.look).
func (m *metrics) sample() {
	s := m.s
	var sum [2]float64
	var cnt [2]int
	slots, bad := 0, 0
	for i := range s.honest {
		n := s.nodes[i]
		if !n.online || n.r == nil {
			continue
		}
		if n.scorer != nil {
			for _, j := range n.peers {
				c := 0
				if s.nodes[j].attacker {
					c = 1
				}
				sum[c] += n.scorer.Score(s.nodes[j].id)
				cnt[c]++
			}
		}
		for _, id := range n.r.Mesh(s.topics[0].Name) {
			slots++
			if s.nodes[s.byID[id]].attacker {
				bad++
			}
		}
	}
	smp := ScoreSample{TS: float64(s.now) / 1e9}
	if cnt[0] > 0 {
		smp.Honest = sum[0] / float64(cnt[0])
	}
	if cnt[1] > 0 {
		smp.Attacker = sum[1] / float64(cnt[1])
	}
	if slots > 0 {
		smp.MeshAttackerShare = float64(bad) / float64(slots)
	}
	if m.cost != nil {
		l := m.cost.look(s, false, false)
		smp.FPGossip, smp.FPPublish, smp.FPGraylist = round4(l.fp(thGossip)), round4(l.fp(thPublish)), round4(l.fp(thGraylist))
		smp.FNGossip, smp.FNPublish, smp.FNGraylist = round4(l.fn(thGossip)), round4(l.fn(thPublish)), round4(l.fn(thGraylist))
	}
	m.scores = append(m.scores, smp)
}

// meshHistogram returns how many online honest nodes have each mesh
// degree (index = degree) in topic.
func (m *metrics) meshHistogram(topic string) []int {
	var h []int
	for i := range m.s.honest {
		n := m.s.nodes[i]
		if !n.online || n.r == nil {
			continue
		}
		d := len(n.r.Mesh(topic))
		for len(h) <= d {
			h = append(h, 0)
		}
		h[d]++
	}
	return h
}
