package sim

import (
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
)

// epoch is virtual time zero. Any fixed instant would do.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunOptions are the knobs of one run that are not part of the scenario.
type RunOptions struct {
	// Progress, when set, gets a line per tenth of the run's virtual time
	// (wall time is not read by the event loop; progress goes by virtual
	// time, so it is deterministic too).
	Progress io.Writer
	// Trace, when set, gets one line per event (very verbose; for small
	// runs).
	Trace io.Writer
	// Tenth, when set, is called at each tenth of the run's virtual time
	// (the points Progress reports), with the run's state live: for
	// profiles taken mid-run (gwyh sim -memprofile).
	Tenth func(virtual time.Duration)
	// Workers is how many goroutines handle a window's nodes at once (0
	// or 1: the run's own goroutine alone). The Result does not depend on
	// it; the wall time does, on a machine with the cores. Trace makes it
	// 1.
	Workers int
}

// WorkersBeside returns RunOptions.Workers for each of parallel runs at
// once: the cores the others leave (GOMAXPROCS / parallel, at least 1).
func WorkersBeside(parallel int) int { return max(runtime.GOMAXPROCS(0)/max(parallel, 1), 1) }

// simulator is the state of one run.
type simulator struct {
	sc     *Scenario
	seed   uint64
	opt    RunOptions
	params router.Params
	rng    *rand.Rand
	q      queue
	now    int64
	end    int64
	// look is the lookahead: no node's event schedules another node's
	// sooner than this after it (the shortest link delay, at most
	// maxLook); 0 without one. sequential makes the loop handle every
	// event in time order even so (tests compare the two).
	look       int64
	sequential bool
	batch      []event // window's events
	// grouped holds a window's events by node (group), groups their
	// extents; groupOf maps a node to its group while grouping (-1).
	grouped     []event
	groups      []group
	groupOf     []int32
	cuts        []int     // a window's shares of groups (window)
	workers     []*worker // besides the run's goroutine (RunOptions.Workers)
	minParallel int

	nodes  []*node
	honest int
	// topics are the run's topics (Scenario.topics); the attack targets
	// topics[0].
	topics  []TopicSpec
	byID    map[peer.ID]int32
	linkGen int32 // connections made (node.ends)
	mtu     int

	packBuf  [][]byte
	bufs     bufPool // router packet buffers in flight (sendPacket, receive)
	ihaveIDs []string

	m           *metrics
	mm          *memberMetrics
	dir         *directory // the directory membership mode's; nil in swim mode
	crashed     []int32    // the nodes the crash killed, in kill order
	flashed     bool
	attackersUp bool
	partitioned bool
	// ipScoring: routers are told their peers' IPs (P6 weighs them).
	ipScoring bool
}

// Run runs sc with seed and returns its Result. Same scenario and seed,
// same Result (Result.WallS and Result.PeakRSSMB aside). An error means the
// scenario is invalid or a router refused its configuration; invariant
// violations do not stop a run, they are reported in the Result.
func Run(sc Scenario, seed uint64, opt RunOptions) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("sim: scenario %q seed %d: %w", sc.Name, seed, err)
	}
	start := time.Now()
	s, err := newSimulator(&sc, seed, opt)
	if err != nil {
		return nil, fmt.Errorf("sim: scenario %q seed %d: %w", sc.Name, seed, err)
	}
	if err := s.loop(); err != nil {
		return nil, fmt.Errorf("sim: scenario %q seed %d: %w", sc.Name, seed, err)
	}
	res := s.result()
	res.WallS = time.Since(start).Seconds()
	res.PeakRSSMB = peakRSSMB()
	return res, nil
}

// newSimulator builds the nodes and schedules the run's fixed events.
func newSimulator(sc *Scenario, seed uint64, opt RunOptions) (*simulator, error) {
	s := &simulator{
		sc: sc, seed: seed, opt: opt, params: sc.params(),
		rng:    rand.New(rand.NewPCG(seed, 0x5eed)),
		honest: sc.Nodes,
		byID:   make(map[peer.ID]int32),
		mtu:    sc.Net.mtu(),
		end:    int64(sc.end()),
		topics: sc.topics(),
	}
	total := sc.Nodes + sc.attackers()
	s.nodes = make([]*node, total)
	for i := range total {
		n, err := newNode(seed, int32(i), i >= sc.Nodes)
		if err != nil {
			return nil, err
		}
		if _, dup := s.byID[n.id]; dup {
			return nil, fmt.Errorf("sim: duplicate peer ID for node %d", i)
		}
		s.nodes[i], s.byID[n.id] = n, int32(i)
	}
	s.placeNodes()
	s.placeIPs()
	s.ipScoring = sc.Scoring && sc.scoreParams().IPColocationFactorWeight != 0
	s.m = newMetrics(s)
	s.mm = newMemberMetrics(s)
	if sc.membershipMode() == MembershipDirectory {
		s.dir = newDirectory(s)
	}
	s.assignSides()
	s.look = s.lookahead()
	s.minParallel = minParallel
	if opt.Trace == nil {
		for range opt.Workers - 1 {
			s.workers = append(s.workers, newWorker(s))
		}
	}
	s.schedule()
	return s, nil
}

// maxLook bounds the lookahead: a node's event may schedule another's a
// second ahead (an attacker's regraft after a prune's backoff).
const maxLook = int64(time.Second)

// lookahead returns the shortest delay of any link of the run (the
// smallest Latency.linkDelay can draw, NearDelay for attackers placed
// near), at most maxLook: no node's event reaches another node sooner.
func (s *simulator) lookahead() int64 {
	l := s.sc.Net.Latency
	d := int64(l.Base - l.Jitter)
	if z := l.Zones; z != nil {
		d = maxLook
		for _, row := range z.RTT {
			for _, rtt := range row {
				base := rtt / 2
				d = min(d, int64(base-min(l.Jitter, base/2)))
			}
		}
	}
	if s.sc.Attack.Near && s.sc.attackers() > 0 {
		d = min(d, int64(NearDelay))
	}
	return min(max(d, 0), maxLook)
}

// tnow returns the current virtual time as a time.Time.
func (s *simulator) tnow() time.Time { return epoch.Add(time.Duration(s.now)) }

// loop pops and handles events until the end of the run: node-local
// events a window at a time (window) when the network has a lookahead,
// the others one by one.
func (s *simulator) loop() error {
	tenth := s.end / 10
	nextProgress := tenth
	for s.q.len() > 0 {
		head := s.q.peek()
		if head.at > s.end {
			break
		}
		if head.at >= nextProgress && (s.opt.Progress != nil || s.opt.Tenth != nil) {
			s.now = head.at
			if s.opt.Progress != nil {
				fmt.Fprintf(s.opt.Progress, "sim %s: %3d%% virtual %v, %d events queued, %d/%d messages published\n",
					s.sc.Name, 100*s.now/max(s.end, 1), time.Duration(s.now).Truncate(time.Millisecond),
					s.q.len(), s.m.published, len(s.m.msgs))
			}
			if s.opt.Tenth != nil {
				s.opt.Tenth(time.Duration(s.now))
			}
			nextProgress += max(tenth, 1)
		}
		if s.look > 0 && !s.sequential && nodeLocal(head.kind) {
			if err := s.window(); err != nil {
				return err
			}
			continue
		}
		if err := s.runNext(); err != nil {
			return err
		}
	}
	s.now = s.end
	return nil
}

// runNext pops the earliest event and handles it on its own.
func (s *simulator) runNext() error {
	e := s.q.pop()
	s.q.fromRun()
	return s.run(e)
}

// run handles e at its time.
func (s *simulator) run(e event) error {
	s.now = e.at
	if s.opt.Trace != nil {
		fmt.Fprintf(s.opt.Trace, "%d %s to=%d from=%d arg=%d len=%d\n", e.at, e.kind, e.to, e.from, e.arg, len(e.payload))
	}
	if nodeLocal(e.kind) {
		n := s.nodes[e.to]
		s.q.from(e.to, &n.pushes)
	}
	return s.handle(e)
}

// window handles the node-local events due from the earliest, which is
// one, until the lookahead has passed or an event of another kind comes
// (whichever is first), node by node: each node's in time order, together
// with those it schedules for itself within the window. No node's event
// can schedule another node's within the window (the lookahead), and the
// queue's order does not depend on the interleaving (queue), so the run
// is the one a handling in time order gives, with each node's state hot in
// the cache while its events run. With workers, several goroutines share
// the window's nodes.
func (s *simulator) window() error {
	start := s.q.peek().at
	end := min(start+s.look, s.end+1)
	b := s.batch[:0]
	for s.q.len() > 0 {
		p := s.q.peek()
		if p.at >= end {
			break
		}
		if !nodeLocal(p.kind) {
			end = p.at
			break
		}
		b = append(b, s.q.pop())
	}
	// Events due at the end, popped before the event that ended the
	// window early, go back: they come after the window's.
	for len(b) > 0 && b[len(b)-1].at >= end {
		s.q.put(b[len(b)-1])
		b[len(b)-1] = event{}
		b = b[:len(b)-1]
	}
	s.batch = b[:0]
	if len(b) == 0 { // an event of another kind at the same instant ends it at once
		return s.runNext()
	}
	g := s.group(b)
	if len(s.workers) == 0 || len(b) < s.minParallel {
		return s.runGroups(g, end)
	}
	// Cut the groups into shares of about equal events, in order: the
	// run's goroutine takes the first, each worker one of the others.
	per := (len(b) + len(s.workers)) / (len(s.workers) + 1)
	cuts := append(s.cuts[:0], 0)
	for i, n := 0, 0; i < len(g) && len(cuts) <= len(s.workers); i++ {
		if n += g[i].hi - g[i].lo; n >= per*len(cuts) {
			cuts = append(cuts, i+1)
		}
	}
	for len(cuts) < len(s.workers)+2 {
		cuts = append(cuts, len(g))
	}
	s.cuts = cuts
	var wg sync.WaitGroup
	for k, w := range s.workers {
		lo, hi := cuts[k+1], cuts[k+2]
		if lo == hi {
			continue
		}
		w.begin(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.err = w.s.runGroups(g[lo:hi], end)
		}()
	}
	err := s.runGroups(g[:cuts[1]], end)
	wg.Wait()
	for _, w := range s.workers {
		if w.s.m == nil {
			continue
		}
		err = cmp.Or(err, w.err)
		w.finish(s)
	}
	return err
}

// minParallel is the fewest events in a window that workers share
// (simulator.minParallel; tests lower it): below it, starting them costs
// more than it spares.
const minParallel = 256

// group is one node's events of a window: grouped[lo:hi].
type group struct {
	node   int32
	lo, hi int
}

// group returns b's events by node, in the order of each node's first
// event, each node's in b's order (a counting sort into s.grouped).
func (s *simulator) group(b []event) []group {
	if s.groupOf == nil {
		s.groupOf = make([]int32, len(s.nodes))
		for i := range s.groupOf {
			s.groupOf[i] = -1
		}
	}
	g := s.groups[:0]
	for i := range b {
		k := s.groupOf[b[i].to]
		if k < 0 {
			k = int32(len(g))
			s.groupOf[b[i].to] = k
			g = append(g, group{node: b[i].to})
		}
		g[k].hi++
	}
	at := 0
	for i := range g {
		n := g[i].hi
		g[i].lo, g[i].hi = at, at
		at += n
	}
	if cap(s.grouped) < len(b) {
		s.grouped = make([]event, len(b), 2*len(b))
	}
	s.grouped = s.grouped[:len(b)]
	for i := range b {
		gi := &g[s.groupOf[b[i].to]]
		s.grouped[gi.hi] = b[i]
		gi.hi++
		b[i] = event{}
	}
	for i := range g {
		s.groupOf[g[i].node] = -1
	}
	s.groups = g
	return g
}

// runGroups handles groups' events of a window ending at end, node by
// node, each with the events it schedules for itself meanwhile.
func (s *simulator) runGroups(groups []group, end int64) error {
	w := &s.q.win
	w.on, w.end = true, end
	defer func() { w.on = false }()
	for _, g := range groups {
		b := s.grouped[g.lo:g.hi]
		w.node = g.node
		for i := 0; i < len(b) || len(w.local.h) > 0; {
			var e event
			if len(w.local.h) > 0 && (i == len(b) || before(&w.local.h[0], &b[i])) {
				e = w.local.pop()
			} else {
				e, b[i] = b[i], event{}
				i++
			}
			if err := s.run(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// worker handles a share of a window's nodes on its own goroutine, with a
// copy of the simulator made at the window's start (begin): the shared
// state it reads does not change within a window (only events that end
// windows change it), and what it writes is its nodes', its own (the
// queue's pushes to other nodes, collected in out; the metrics' counters,
// in its own tallies; its packet buffers), or written atomically (the
// delivery bits and counts). finish hands its pushes and counts to the run.
type worker struct {
	s   simulator
	m   metrics
	mm  memberMetrics
	out []event
	err error
}

// newWorker returns a worker for run s.
func newWorker(s *simulator) *worker {
	w := &worker{}
	w.m.tally = s.newTally()
	return w
}

// begin readies w for a window of s.
func (w *worker) begin(s *simulator) {
	own := w.s // what the worker keeps from window to window
	w.s = *s
	w.s.q = queue{out: &w.out}
	w.s.q.win.local = own.q.win.local
	w.s.bufs, w.s.packBuf, w.s.ihaveIDs = own.bufs, own.packBuf, own.ihaveIDs
	w.s.batch, w.s.groups, w.s.groupOf, w.s.cuts, w.s.workers = nil, nil, nil, nil, nil
	t, mt := w.m.tally, w.mm.memberTally
	w.m, w.mm = *s.m, *s.mm
	w.m.tally, w.mm.memberTally = t, mt
	w.m.s, w.mm.s = &w.s, &w.s
	w.s.m, w.s.mm = &w.m, &w.mm
	w.err = nil
}

// finish puts w's pushes in s's queue and adds its counts to s's.
func (w *worker) finish(s *simulator) {
	for i := range w.out {
		s.q.put(w.out[i])
		w.out[i] = event{}
	}
	w.out = w.out[:0]
	s.m.tally.add(&w.m.tally)
	s.mm.memberTally.add(&w.mm.memberTally)
	w.s.bufs.trim()
	w.s.m, w.s.mm = nil, nil // marks it idle until the next begin
}

// String returns the event kind's name (for traces).
func (k evKind) String() string {
	names := [...]string{"?", "packet", "timer", "publish", "attack", "join", "leave", "sample", "flash",
		"mempacket", "memtimer", "peertimer", "dial", "dialfail", "crash", "stall", "resume", "check", "scorecheck", "control", "directory", "hangup"}
	if int(k) < len(names) {
		return names[k]
	}
	return "?"
}

// handle runs one event.
func (s *simulator) handle(e event) error {
	switch e.kind {
	case evPacket:
		s.receive(e)
	case evTimer:
		s.timer(e)
	case evPublish:
		s.publish(int(e.arg))
	case evAttack:
		s.attackAction(e)
	case evJoin:
		return s.join(e)
	case evLeave:
		s.leave(s.nodes[e.to])
	case evSample:
		s.m.sample()
		s.q.push(event{at: s.now + int64(s.sampleEvery()), kind: evSample})
	case evFlash:
		s.flashed = true
	case evMemPacket:
		s.receiveMember(e)
	case evMemTimer, evPeerTimer:
		s.clusterTimer(e)
	case evDial:
		s.dialDone(e)
	case evDialFail:
		s.dialFail(e)
	case evCrash:
		s.crash()
	case evStall:
		s.stall(s.nodes[e.to], time.Duration(e.arg)*time.Millisecond)
	case evResume:
		s.resume(s.nodes[e.to], e.arg)
	case evCheck:
		s.mm.check()
		s.q.push(event{at: s.now + int64(checkEvery), kind: evCheck})
	case evScoreCheck:
		s.m.cost.check(s)
		s.q.push(event{at: s.now + int64(s.m.cost.period), kind: evScoreCheck})
	case evControl:
		s.control(e)
	case evDirectory:
		s.directoryEvent(e)
	case evHangup:
		s.hangup(e)
	}
	return nil
}

// sampleEvery returns the metric sampling period.
func (s *simulator) sampleEvery() time.Duration {
	if s.sc.SampleEvery == 0 {
		return 5 * time.Second
	}
	return s.sc.SampleEvery
}

// timer runs node e.to's router deadline if it is still current.
func (s *simulator) timer(e event) {
	n := s.nodes[e.to]
	if !n.online || n.r == nil || e.arg != n.inc || e.at != n.timerAt || n.stalled(s.now) {
		return
	}
	n.timerAt = -1
	n.r.Tick(s.tnow())
	s.flush(n)
	if !n.attacker {
		s.m.afterTick(n)
	}
}

// receive hands a packet to its receiver's router.
func (s *simulator) receive(e event) {
	n := s.nodes[e.to]
	if !n.online || n.r == nil || e.arg != n.inc {
		s.m.dropOffline++
		s.bufs.put(e.payload)
		return
	}
	if s.defer_(n, e) {
		return
	}
	from := s.nodes[e.from]
	if s.sc.Net.Control.ReportInterval > 0 && !n.attacker {
		if n.heard == nil {
			n.heard = map[int32]struct{}{}
		}
		n.heard[e.from] = struct{}{}
	}
	if err := n.r.HandlePayload(s.tnow(), from.id, e.payload); err != nil {
		s.m.routerErrors++
	}
	s.flush(n)
	// The router keeps nothing of the payload now: its Output was acted
	// on and its validations answered (act).
	s.bufs.put(e.payload)
}

// flush acts on the output of n's router, membership and peer manager
// while any has some, as node's flush does: acting on one may give input
// to another (a member died: the peer manager forgets it and the router
// drops it as a peer), which the loop picks up. A flush of n called while
// one is under way returns at once; the outer loop drains what it added.
func (s *simulator) flush(n *node) {
	if n.flushing {
		return
	}
	n.flushing = true
	defer func() { n.flushing = false }()
	for {
		switch {
		case n.r != nil && n.r.HasReady():
			s.act(n, n.r.Ready())
			n.r.Advance()
		case n.mem != nil && n.mem.HasReady():
			out := n.mem.Ready()
			s.actMember(n, out)
			s.arm(n, evMemTimer, &n.memAt, out.Deadline)
			n.mem.Advance()
		case n.pm != nil && n.pm.HasReady():
			out := n.pm.Ready()
			s.actPeering(n, out)
			s.arm(n, evPeerTimer, &n.pmAt, out.Deadline)
			n.pm.Advance()
		default:
			return
		}
	}
}

// arm schedules n's timer of kind at dl unless it is already scheduled
// there.
func (s *simulator) arm(n *node, kind evKind, at *int64, dl time.Time) {
	if dl.IsZero() {
		return
	}
	t := max(int64(dl.Sub(epoch)), s.now)
	if t != *at {
		*at = t
		s.q.push(event{at: t, kind: kind, to: n.idx, arg: n.inc})
	}
}

// act carries out one Output of n's router: sends over the simulated
// network, deliveries and events into the metrics, validations answered at
// once by the honest validator (the router's own output of those answers
// is the next Output), and the timer.
func (s *simulator) act(n *node, out *router.Output) {
	for i := range out.Sends {
		snd := &out.Sends[i]
		to, ok := s.byID[snd.To]
		if !ok {
			continue
		}
		r := &snd.RPC
		if n.attacker && s.flashed {
			c := *r
			c.Publish, c.IHave = nil, nil
			r = &c
		}
		if n.attacker {
			r = s.filterSends(n, to, r)
		}
		s.sendRPC(n, to, r)
	}
	if !n.attacker {
		for i := range out.Deliveries {
			if d := &out.Deliveries[i]; !d.Local {
				s.m.deliver(n, d)
			}
		}
		for i := range out.Events {
			s.m.event(n, &out.Events[i])
			s.routerEvent(n, &out.Events[i])
		}
	}
	for i := range out.Validations {
		v := &out.Validations[i]
		n.r.ValidationDone(s.tnow(), v.ID, honestValidator(v.From, &v.Msg))
	}
	if dl := out.Deadline; !dl.IsZero() {
		at := max(int64(dl.Sub(epoch)), s.now)
		if at != n.timerAt {
			n.timerAt = at
			s.q.push(event{at: at, kind: evTimer, to: n.idx, arg: n.inc})
		}
	}
}
