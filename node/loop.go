package node

import (
	"slices"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
)

// maxBatch bounds the transport events handled before one flush: the
// router's output of a batch is packed together, so several messages share
// a datagram.
const maxBatch = 64

// loopState is what the event loop owns; nothing else touches it.
type loopState struct {
	timer    *clock.Timer
	deadline time.Time // the timer's
	routerDL time.Time // the deadlines of the three state machines
	memDL    time.Time
	peerDL   time.Time

	sessions  map[peer.ID]*session
	peers     map[peer.ID]*peerInfo // sessions that are peers (links)
	wantLink  map[peer.ID]bool      // dialled to be peers, session not up yet
	dialled   map[peer.ID]string    // the peer manager's address of a dial it asked for (for DialFailed)
	ourDial   map[peer.ID]string    // the address our own Dial of this ID went to, until its session ends
	memQueue  map[peer.ID][][]byte  // membership payloads waiting for a session
	dialing   map[peer.ID]bool      // a dial to this ID is under way
	topics    map[string]*TopicHandle
	waiters   map[peer.ID][]chan struct{}
	topicWait []topicWaiter
	watches   []*MemberWatch
	pack      [][]byte
	pending   []router.Payload // GossipSub payloads of this round (handlePayloads)
	packMTU   int
	lastDups  uint64
	counts    counters
	policy    policyState
}

func (n *Node) initLoopState() {
	n.sessions = map[peer.ID]*session{}
	n.peers = map[peer.ID]*peerInfo{}
	n.wantLink = map[peer.ID]bool{}
	n.dialled = map[peer.ID]string{}
	n.ourDial = map[peer.ID]string{}
	n.memQueue = map[peer.ID][][]byte{}
	n.dialing = map[peer.ID]bool{}
	n.topics = map[string]*TopicHandle{}
	n.waiters = map[peer.ID][]chan struct{}{}
	n.packMTU = n.cfg.MTU - 64 // room for the transport's header, tag and frame header
	n.timer = n.clock.Timer(time.Hour)
}

// run is the event loop. It ends when quit is closed.
func (n *Node) run() {
	defer n.wg.Done()
	defer close(n.loopDone)
	defer n.timer.Stop()
	events := n.conn.Events()
	now := n.clock.Now()
	n.pm.Tick(now, routerView{n}) // dial the seeds at once
	n.mem.Tick(now)
	n.flush(now)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			now := n.clock.Now()
			n.handleEvent(now, ev)
			n.drainEvents(now, events)
			n.handlePayloads(now)
		case <-n.timer.C:
			n.deadline = time.Time{}
			n.tick(n.clock.Now())
		case c := <-n.calls:
			c.fn(n.clock.Now())
			close(c.done)
		case res := <-n.vresults:
			n.r.ValidationDone(n.clock.Now(), res.id, res.result)
		case <-n.quit:
			return
		}
		n.flush(n.clock.Now())
	}
}

// tick runs the state machines whose deadline has come.
func (n *Node) tick(now time.Time) {
	if !now.Before(n.routerDL) {
		n.r.Tick(now)
	}
	if !now.Before(n.memDL) {
		n.mem.Tick(now)
	}
	if !now.Before(n.peerDL) {
		n.feedRTTs(now) // before the manager's round, which may trim by RTT
		n.pm.Tick(now, routerView{n})
		n.endIdleSessions(now)
		n.resendHellos(now)
		n.endRefused(now)
	}
}

// routerView is what the peer manager asks of the router.
type routerView struct{ n *Node }

func (v routerView) Score(p peer.ID) float64         { return v.n.r.Score(p) }
func (v routerView) Protected(p peer.ID) bool        { return v.n.r.InMesh(p) }
func (v routerView) Stale(p peer.ID) bool            { return v.n.r.Stale(p, v.n.clock.Now()) }
func (v routerView) Placement(p peer.ID) mesh.Placed { return v.n.r.Placement(p) }

// drainEvents handles the events already waiting, up to maxBatch.
func (n *Node) drainEvents(now time.Time, events <-chan transport.Event) {
	for range maxBatch {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			n.handleEvent(now, ev)
		default:
			return
		}
	}
}

// handleEvent feeds one transport event to membership or the router; a
// GossipSub payload waits for the end of the round (handlePayloads).
func (n *Node) handleEvent(now time.Time, ev transport.Event) {
	switch ev.Kind {
	case transport.EventPayload:
		if rpc.IsMembership(ev.Payload) {
			if s := n.sessions[ev.Peer]; s != nil {
				s.lastMem = now
			}
			n.counts.memBytesIn += uint64(len(ev.Payload))
			_ = n.mem.HandlePayload(now, ev.Peer, ev.Payload) // errors are counted drops
			return
		}
		n.gossipPayload(now, ev.Peer, ev.Payload)
		return
	}
	n.handlePayloads(now) // the payloads before a session change first
	switch ev.Kind {
	case transport.EventPeerUp:
		// A restarted peer's EventPeerDown came first: it is a new session.
		n.sessionUp(now, ev.Peer, unmap(ev.Addr))
	case transport.EventPeerDown:
		// Timed out, ended by a bye, or replaced by a restarted instance
		// of the peer (whose EventPeerUp follows).
		n.sessionDown(now, ev.Peer, "session-ended")
	}
}

// waitUp closes ch when id is (or becomes) a connected peer.
func (n *Node) waitUp(id peer.ID, ch chan struct{}) {
	if _, ok := n.peers[id]; ok {
		close(ch)
		return
	}
	n.waiters[id] = append(n.waiters[id], ch)
}

// publishPeers refreshes the snapshot Peers returns.
func (n *Node) publishPeers() {
	ids := make([]peer.ID, 0, len(n.peers))
	for id := range n.peers {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, peer.ID.Compare)
	n.snapMu.Lock()
	n.snapPeer = ids
	n.snapMu.Unlock()
}

// armTimer points the timer at the earliest deadline of the router,
// membership and the peer manager.
func (n *Node) armTimer(now time.Time) {
	d := n.routerDL
	for _, x := range []time.Time{n.memDL, n.peerDL} {
		if !x.IsZero() && (d.IsZero() || x.Before(d)) {
			d = x
		}
	}
	if d.IsZero() || d.Equal(n.deadline) {
		return
	}
	n.deadline = d
	n.timer.Reset(max(d.Sub(now), 0))
}

// leaveAll leaves every joined topic (the router sends PRUNEs) on Close.
func (n *Node) leaveAll(now time.Time) {
	for _, name := range sortedKeys(n.topics) {
		_ = n.r.Leave(now, name)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
