package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
)

// The cluster layer: every honest node runs membership (SWIM + Lifeguard)
// and the peer manager next to its router, driven the way node drives
// them (node/links.go, node/members.go, node/output.go):
//
//   - membership events Join, Update and Alive offer the member to the
//     peer manager; Dead and Leave make it forget the member and end the
//     connection at once (both routers RemovePeer, as a session end);
//   - the peer manager's dials become connections: a dial of a live,
//     reachable node completes after one round trip (the handshake),
//     a dial of a dead or partitioned node fails after dialTimeout;
//     its disconnects end connections;
//   - a graylisted peer is banned; peer exchange offers records;
//   - an outbound connection to a node membership does not hold as up
//     joins the cluster through it (membership.Join: how a node joins
//     through its seed).
//
// Membership payloads travel between any two nodes (no session model) over
// the same simulated network as router payloads: loss, latency, partition,
// uplink and per-packet overhead apply, and their bytes are counted apart.

// dialTimeout is node's default DialTimeout: a dial that gets no answer
// fails after it. The peer manager's own timeout is a second longer, as in
// node.
const dialTimeout = 5 * time.Second

// handshakeRetry is the wait before the transport retries a handshake
// whose initiation or response was lost.
const handshakeRetry = time.Second

// seedOf returns the seed honest node i knows: node 0, or node 1 for node
// 0 itself.
func seedOf(i int32) int32 {
	if i == 0 {
		return 1
	}
	return 0
}

// startCluster gives honest node n a fresh membership (swim mode; in
// directory mode, a place in the directory) and peer manager that knows
// its seed, and runs their first round.
func (s *simulator) startCluster(n *node) error {
	if s.dir != nil {
		pm, err := peering.New(s.peeringConfig(n))
		if err != nil {
			return fmt.Errorf("sim: node %d peer manager: %w", n.idx, err)
		}
		n.pm, n.pmAt = pm, -1
		s.addSeed(n)
		pm.Tick(s.tnow(), simView{n.r, s.tnow()})
		s.flush(n)
		s.dirStart(n)
		return nil
	}
	mem, err := membership.New(membership.Config{
		Self:   membership.Member{ID: n.id, Addr: n.addr, Zone: s.zoneOf(n)},
		Params: s.sc.memberParams(),
		Rand:   rand.New(rand.NewPCG(s.seed^0x6a09e667f3bcc909, uint64(n.idx)<<16|uint64(n.inc))),
	})
	if err != nil {
		return fmt.Errorf("sim: node %d membership: %w", n.idx, err)
	}
	pm, err := peering.New(s.peeringConfig(n))
	if err != nil {
		return fmt.Errorf("sim: node %d peer manager: %w", n.idx, err)
	}
	n.mem, n.pm = mem, pm
	n.memAt, n.pmAt = -1, -1
	s.addSeed(n)
	now := s.tnow()
	pm.Tick(now, simView{n.r, s.tnow()})
	mem.Tick(now)
	s.flush(n)
	return nil
}

// addSeed gives honest node n's peer manager its seed, unless Seedless.
func (s *simulator) addSeed(n *node) {
	if sd := seedOf(n.idx); int(sd) < s.honest && !s.sc.Topology.Seedless {
		n.pm.AddSeed(peering.Target{ID: s.nodes[sd].id, Addr: s.nodes[sd].addr})
	}
}

// peeringConfig returns honest node n's peer manager configuration: as
// node's, with the scenario's strategy in n's zone.
func (s *simulator) peeringConfig(n *node) peering.Config {
	low, high := s.sc.Topology.waterMarks()
	return peering.Config{
		Low: low, High: high,
		BanDuration: s.params.PruneBackoff,
		Interval:    max(s.params.HeartbeatInterval, 100*time.Millisecond),
		DialTimeout: dialTimeout + time.Second,
		Self:        n.id,
		Rand:        rand.New(rand.NewPCG(s.seed^0xbb67ae8584caa73b, uint64(n.idx)<<16|uint64(n.inc))),
		Prefs:       s.sc.prefs(s.zoneOf(n)),
	}
}

// simView is what the peer manager asks of the router.
type simView struct {
	r   *router.Router
	now time.Time
}

func (v simView) Score(p peer.ID) float64 {
	if v.r == nil {
		return 0
	}
	return v.r.Score(p)
}

func (v simView) Protected(p peer.ID) bool { return v.r != nil && v.r.InMesh(p) }

func (v simView) Stale(p peer.ID) bool { return v.r != nil && v.r.Stale(p, v.now) }

func (v simView) Placement(p peer.ID) mesh.Placed {
	if v.r == nil {
		return mesh.Placed{ID: p}
	}
	return v.r.Placement(p)
}

// clusterTimer runs n's membership or peer manager deadline if current.
func (s *simulator) clusterTimer(e event) {
	n := s.nodes[e.to]
	if !n.online || n.pm == nil || e.arg != n.inc || n.stalled(s.now) {
		return
	}
	if e.kind == evMemTimer {
		if e.at != n.memAt {
			return
		}
		n.memAt = -1
		n.mem.Tick(s.tnow())
	} else {
		if e.at != n.pmAt {
			return
		}
		n.pmAt = -1
		n.pm.Tick(s.tnow(), simView{n.r, s.tnow()})
	}
	s.flush(n)
}

// receiveMember hands a membership payload to its receiver.
func (s *simulator) receiveMember(e event) {
	n := s.nodes[e.to]
	if !n.online || n.mem == nil || e.arg != n.inc {
		s.mm.dropOffline++
		return
	}
	if s.defer_(n, e) {
		return
	}
	if err := n.mem.HandlePayload(s.tnow(), s.nodes[e.from].id, e.payload); err != nil {
		s.mm.errors++
	}
	s.flush(n)
}

// actMember carries out one membership Output of n.
func (s *simulator) actMember(n *node, out *membership.Output) {
	for i := range out.Sends {
		snd := &out.Sends[i]
		if to, ok := s.byID[snd.To]; ok {
			s.sendPacket(n, s.nodes[to], snd.Payload, true)
		}
	}
	now := s.tnow()
	for i := range out.Events {
		e := &out.Events[i]
		s.mm.event(n, e)
		m := &e.Member
		if k := e.Kind; k.Up() || k.Gone() {
			n.pm.Member(now, peering.Target{ID: m.ID, Addr: m.Addr, Zone: m.Zone}, k.Up())
		}
		if j, ok := s.byID[m.ID]; ok && e.Kind.Gone() && s.linked(n.idx, j) {
			s.disconnect(n, s.nodes[j])
		}
	}
}

// routerEvent feeds honest node n's peer manager from a router event, as
// node's handleRouterEvent does.
func (s *simulator) routerEvent(n *node, e *router.Event) {
	if n.pm == nil {
		return
	}
	now := s.tnow()
	switch e.Kind {
	case router.EventPeerExchange:
		for _, px := range e.PX {
			n.pm.Offer(now, peering.Target{ID: px.ID, Addr: string(px.Record)}, peering.SourceExchange)
		}
	case router.EventGraylisted:
		n.pm.Ban(now, e.Peer, "graylisted")
	}
}

// actPeering carries out one peer manager Output of n: dials and
// disconnects.
func (s *simulator) actPeering(n *node, out *peering.Output) {
	for _, d := range out.Dials {
		if j, ok := s.byID[d.Target.ID]; ok {
			s.startDial(n, s.nodes[j])
		}
	}
	for _, d := range out.Disconnects {
		s.mm.pmDisconnects++
		if j, ok := s.byID[d.ID]; ok && s.linked(n.idx, j) {
			s.disconnect(n, s.nodes[j])
		} else if ok {
			n.pm.Disconnected(s.tnow(), d.ID)
		}
	}
}

// linked reports whether node a's end of a connection with b is open.
func (s *simulator) linked(a, b int32) bool {
	return s.nodes[a].endTo(b) >= 0
}

// startDial starts n's dial of b: the handshake takes one round trip,
// plus handshakeRetry per lost initiation or response (Network.Loss);
// a dial whose handshake cannot finish within dialTimeout fails then.
func (s *simulator) startDial(n, b *node) {
	s.mm.dials++
	if i := n.endTo(b.idx); i >= 0 {
		// Already connected (b dialled us meanwhile): the dial finds the
		// session up.
		n.pm.Connected(s.tnow(), b.id, b.addr, n.ends[i].out)
		return
	}
	wait := 2 * s.delay(n, b)
	if loss := s.sc.Net.Loss; loss > 0 {
		ok := (1 - loss) * (1 - loss)
		for rng := s.random(n); rng.Float64() >= ok; {
			wait += int64(handshakeRetry)
			if wait >= int64(dialTimeout) {
				s.q.push(event{at: s.now + int64(dialTimeout), kind: evDialFail, to: n.idx, from: b.idx, arg: n.inc})
				return
			}
		}
	}
	s.q.push(event{at: s.now + wait, kind: evDial, to: n.idx, from: b.idx, arg: n.inc})
}

// dialDone completes n's handshake with b if b is up and reachable; a
// stalled end finishes it when it resumes.
func (s *simulator) dialDone(e event) {
	n, b := s.nodes[e.to], s.nodes[e.from]
	if !n.online || n.pm == nil || e.arg != n.inc {
		return
	}
	if s.defer_(n, e) {
		return
	}
	if b.online && !(s.partitioned && n.side != b.side) {
		if b.stalled(s.now) {
			e.at = b.stalledUntil
			s.q.push(e)
			return
		}
		if i := n.endTo(b.idx); i >= 0 {
			// b dialled us meanwhile: the dial finds the session up.
			n.pm.Connected(s.tnow(), b.id, b.addr, n.ends[i].out)
			s.flush(n)
			return
		}
		if b.endTo(n.idx) >= 0 {
			// n closed the connection and b has not heard yet (both
			// stalled past the handshake): the new one replaces it.
			b.unlink(n.idx)
			s.closeEnd(b, n)
		}
		s.connect(n, b) // a refusal is told to both peer managers
		return
	}
	rtt := 2 * s.delay(n, b)
	s.q.push(event{at: s.now + max(int64(dialTimeout)-rtt, 0), kind: evDialFail, to: n.idx, from: b.idx, arg: n.inc})
}

// dialFail reports a failed dial to n's peer manager.
func (s *simulator) dialFail(e event) {
	n, b := s.nodes[e.to], s.nodes[e.from]
	if !n.online || n.pm == nil || e.arg != n.inc {
		return
	}
	if s.defer_(n, e) {
		return
	}
	s.mm.dialFailures++
	n.pm.DialFailed(s.tnow(), peering.Target{ID: b.id, Addr: b.addr})
	s.flush(n)
}

// crash kills Crash.Fraction of the honest nodes at once, node 0 first:
// no leave, no goodbye; their peers keep the connections until their
// membership declares them dead.
func (s *simulator) crash() {
	k := max(1, int(s.sc.Net.Crash.Fraction*float64(s.honest)+0.5))
	picked := map[int32]bool{}
	var order []int32
	if s.nodes[0].online {
		picked[0] = true
		order = append(order, 0)
	}
	for tries := 0; len(order) < k && tries < 64*k; tries++ {
		i := s.rng.Int32N(int32(s.honest))
		if !picked[i] && s.nodes[i].online {
			picked[i] = true
			order = append(order, i)
		}
	}
	s.crashed = order
	s.mm.crashAt(order)
	for _, i := range order {
		n := s.nodes[i]
		s.m.beforeLeave(n)
		s.mm.beforeLeave(n)
		if s.dir != nil {
			s.dirGoneAfter(n, s.dir.detect)
		}
		n.online = false
		n.r, n.scorer, n.mem, n.pm = nil, nil, nil, nil
		n.timerAt, n.memAt, n.pmAt = -1, -1, -1
	}
}

// stalled reports whether n is paused at now.
func (n *node) stalled(now int64) bool { return now < n.stalledUntil }

// defer_ keeps input e of a stalled node n in its socket buffer until it
// resumes (dropped, counted, when the buffer is full), and reports
// whether it did.
func (s *simulator) defer_(n *node, e event) bool {
	if !n.stalled(s.now) {
		return false
	}
	if len(e.payload) > 0 {
		if n.stallBuf+len(e.payload) > s.stallBuffer() {
			s.mm.stallDrops++
			return true
		}
		n.stallBuf += len(e.payload)
	}
	e.at = n.stalledUntil
	s.q.push(e)
	return true
}

func (s *simulator) stallBuffer() int {
	if b := s.sc.Net.Stalls.Buffer; b > 0 {
		return b
	}
	return 256 << 10
}

// scheduleStalls schedules the stalls of Network.Stalls.
func (s *simulator) scheduleStalls() {
	st := s.sc.Net.Stalls
	if st.Interval <= 0 {
		return
	}
	k := max(1, int(st.Fraction*float64(s.honest)+0.5))
	for at := st.Start; at < st.Stop; at += st.Interval {
		for range k {
			i := s.rng.Int32N(int32(s.honest))
			d := st.Min + time.Duration(s.rng.Int64N(int64(st.Max-st.Min)+1))
			s.q.push(event{at: int64(at), kind: evStall, to: i, arg: int32(d / time.Millisecond)})
		}
	}
}

// stall pauses n for d.
func (s *simulator) stall(n *node, d time.Duration) {
	if !n.online || n.r == nil || n.stalled(s.now) {
		return
	}
	s.mm.stalls++
	n.stalledUntil = s.now + int64(d)
	n.stallBuf = 0
	s.q.push(event{at: n.stalledUntil, kind: evResume, to: n.idx, arg: n.inc})
}

// resume runs n again: the inputs buffered while it slept are read
// first (their events were queued before this one's second step), then
// every state machine ticks (their deadlines passed meanwhile). arg ≥ 0
// is the first step, -1-inc the second.
func (s *simulator) resume(n *node, arg int32) {
	inc := arg
	if arg < 0 {
		inc = -1 - arg
	}
	if !n.online || n.inc != inc || n.r == nil {
		return
	}
	n.timerAt, n.memAt, n.pmAt = -1, -1, -1
	if arg >= 0 {
		s.q.push(event{at: s.now, kind: evResume, to: n.idx, arg: -1 - inc})
		return
	}
	now := s.tnow()
	n.r.Tick(now)
	if n.pm != nil {
		if n.mem != nil {
			n.mem.Tick(now)
		}
		n.pm.Tick(now, simView{n.r, s.tnow()})
	}
	s.flush(n)
}
