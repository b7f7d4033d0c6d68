package node

import (
	"net/netip"
	"slices"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// maxBatch bounds the transport events handled before one flush: the
// router's output of a batch is packed together, so several messages share
// a datagram.
const maxBatch = 64

// loopState is what the event loop owns; nothing else touches it.
type loopState struct {
	timer    *clock.Timer
	deadline time.Time
	peers    map[peer.ID]*peerInfo
	book     *addrBook
	topics   map[string]*TopicHandle
	waiters  map[peer.ID][]chan struct{}
	shed     map[peer.ID]struct{}  // removed from the router; payloads dropped
	banned   map[peer.ID]time.Time // disconnected peers kept out until then
	pending  map[netip.AddrPort]int
	expectUp map[peer.ID]netip.AddrPort
	dialing  int
	pack     [][]byte
	packMTU  int
	nextMnt  time.Time
	lastDups uint64
	counts   counters
}

// peerInfo is one connected peer.
type peerInfo struct {
	addr     netip.AddrPort
	outbound bool
	direct   bool
}

func (n *Node) initLoopState() {
	n.peers = map[peer.ID]*peerInfo{}
	n.book = newAddrBook(n.cfg)
	n.topics = map[string]*TopicHandle{}
	n.waiters = map[peer.ID][]chan struct{}{}
	n.shed = map[peer.ID]struct{}{}
	n.banned = map[peer.ID]time.Time{}
	n.pending = map[netip.AddrPort]int{}
	n.expectUp = map[peer.ID]netip.AddrPort{}
	n.packMTU = n.cfg.MTU - 64 // room for the transport's header, tag and frame header
	n.timer = n.clock.Timer(time.Hour)
}

// run is the event loop. It ends when quit is closed.
func (n *Node) run() {
	defer n.wg.Done()
	defer close(n.loopDone)
	defer n.timer.Stop()
	events := n.conn.Events()
	n.maintain(n.clock.Now()) // dial the bootstrap peers at once
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			now := n.clock.Now()
			n.handleEvent(now, ev)
			n.drainEvents(now, events)
		case <-n.timer.C:
			n.deadline = time.Time{}
			now := n.clock.Now()
			n.r.Tick(now)
			if !now.Before(n.nextMnt) {
				n.maintain(now)
			}
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

// handleEvent feeds one transport event to the router.
func (n *Node) handleEvent(now time.Time, ev transport.Event) {
	switch ev.Kind {
	case transport.EventPayload:
		if _, shed := n.shed[ev.Peer]; shed {
			n.counts.drop(dropShedPeer)
			return
		}
		n.counts.bytesIn += uint64(len(ev.Payload))
		_ = n.r.HandlePayload(now, ev.Peer, ev.Payload) // errors are counted drops
	case transport.EventPeerUp:
		n.peerUp(now, ev.Peer, unmap(ev.Addr))
	case transport.EventPeerDown:
		// Timed out, ended by a bye, or replaced by a restarted instance
		// of the peer (whose EventPeerUp follows, so the router greets the
		// new instance as a new peer and announces our topics to it).
		n.peerDown(now, ev.Peer, "session-ended")
	}
}

// peerUp adds a peer whose session was just established.
func (n *Node) peerUp(now time.Time, id peer.ID, addr netip.AddrPort) {
	// A banned peer's new session ends first: its EventPeerUp may even
	// arrive before the EventPeerDown of the session we ended.
	if n.refuse(now, id, addr) {
		return
	}
	if _, shed := n.shed[id]; shed {
		return
	}
	outbound := n.pending[addr] > 0
	if ap, ok := n.expectUp[id]; ok {
		delete(n.expectUp, id)
		n.release(ap)
		outbound = true
	}
	direct := n.book.isDirect(id, addr)
	dir := router.Inbound
	if outbound {
		dir = router.Outbound
	}
	n.r.AddPeer(now, id, router.PeerOptions{
		Direction: dir, Record: []byte(addr.String()), IP: addr.Addr(), Direct: direct,
	})
	n.peers[id] = &peerInfo{addr: addr, outbound: outbound, direct: direct}
	n.book.connected(id, addr, now)
	n.publishPeers()
	n.tracer.PeerUp(id, addr, outbound)
	n.log.Debug("peer up", "peer", id.Short(), "addr", addr.String(), "outbound", outbound)
	for _, w := range n.waiters[id] {
		close(w)
	}
	delete(n.waiters, id)
}

// peerDown removes a peer from the router.
func (n *Node) peerDown(now time.Time, id peer.ID, reason string) {
	if _, ok := n.peers[id]; !ok {
		delete(n.shed, id)
		return
	}
	n.r.RemovePeer(now, id)
	delete(n.peers, id)
	n.book.disconnected(id, now)
	n.publishPeers()
	n.tracer.PeerDown(id, reason)
	n.log.Debug("peer down", "peer", id.Short(), "reason", reason)
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

// armTimer points the timer at the router's next deadline.
func (n *Node) armTimer(now, deadline time.Time) {
	if deadline.IsZero() || deadline.Equal(n.deadline) {
		return
	}
	n.deadline = deadline
	n.timer.Reset(max(deadline.Sub(now), 0))
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
