package node

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
)

// Sessions and peers. Every transport session is a session; a session is a
// peer (a "link": known to the router and the peer manager, counted against
// the water marks) only when one side wants GossipSub with the other:
//
//   - outbound: the peer manager asked for the dial (or the application
//     called Connect, or it is a direct peer), and our own Dial returned
//     the peer's ID: a session the peer opened is never outbound, since
//     the peer chose to be there (GossipSub's Dout counts on that); when
//     the manager wants a peer with such a session, the node dials it
//     (one handshake round trip over the live session) and links it when
//     its Dial returns. The node adds the peer to the router and sends it
//     a hello (an empty GossipSub RPC with our signature policy, see
//     policy.go) so that the other side links too,
//     even before either joined a topic; the dialer repeats the hello
//     until it hears a GossipSub payload back;
//   - inbound: the first GossipSub payload on a session makes the sender a
//     peer, answered with a hello, unless the peer manager keeps it out
//     (then the session ends).
//
// Membership probes open sessions of their own to members they have no
// session with; those stay membership-only and end after sessionIdle
// without membership traffic, so a node holds about PeersHigh peers plus the
// few sessions its recent probes opened, however large the cluster.

// sessionIdle is how long a membership-only session may carry no
// membership traffic before the node ends it.
const sessionIdle = 20 * time.Second

// Bounds of membership payloads waiting for a session to open.
const (
	maxMemQueue   = 8  // payloads per member
	maxMemDialing = 16 // dials at once beyond which a membership send fails
)

// session is one transport session.
type session struct {
	// addr is the EventPeerUp address, which the transport proved by a
	// round trip (the address we dialled, or the source of the peer's
	// first handshake message that our answer reached): the IP for P6
	// (IP colocation) and the inbound address for the peer manager. It
	// is never replaced by the source of later packets.
	addr    netip.AddrPort
	lastMem time.Time // last membership payload in either direction
	ending  bool      // the node asked the transport to end it
	// refusedAt: the peer announced another signature policy (policy.go).
	refusedAt time.Time
}

// peerInfo is one linked peer.
type peerInfo struct {
	addr     netip.AddrPort
	outbound bool
	direct   bool
	since    time.Time
	heard    bool          // a GossipSub payload came from it since the link
	rtt      time.Duration // the RTT last given to the router (placement.go)
}

// dialKind says why the node dials.
type dialKind uint8

const (
	dialPeer    dialKind = iota // the peer manager's dial: a link when it is up
	dialMember                  // a membership send to a member with no session
	dialConnect                 // the application's Connect
)

// sessionUp records a new transport session and links it when the node
// dialled it to be a peer.
func (n *Node) sessionUp(now time.Time, id peer.ID, addr netip.AddrPort) {
	n.sessions[id] = &session{addr: addr, lastMem: now}
	_, ours := n.ourDial[id] // else the peer's handshake came first: dialDone links
	n.tracer.PeerUp(id, addr, ours)
	if n.wantLink[id] && ours {
		n.link(now, id, true)
	}
	n.flushMemQueue(now, id)
}

// sessionDown forgets a session that ended, and the peer if it was one.
func (n *Node) sessionDown(now time.Time, id peer.ID, reason string) {
	if _, ok := n.sessions[id]; !ok {
		return
	}
	delete(n.sessions, id)
	delete(n.wantLink, id)
	delete(n.ourDial, id)
	delete(n.dialled, id)
	n.unlink(now, id, reason)
	n.tracer.PeerDown(id, reason)
}

// link makes the session with id a peer: the peer manager, then the router.
// A peer the manager keeps out has its session ended instead. outbound
// asks for an outbound peer, which only a session our own Dial opened can
// be (ourDial).
func (n *Node) link(now time.Time, id peer.ID, outbound bool) bool {
	s := n.sessions[id]
	if s == nil || s.ending {
		return false
	}
	if !s.refusedAt.IsZero() {
		return n.refuseLink(now, id, outbound)
	}
	if _, ok := n.peers[id]; ok {
		return true
	}
	delete(n.wantLink, id)
	delete(n.dialled, id)
	addr := s.addr.String()
	if outbound {
		// The address our Dial went to, which the manager compares with
		// the dials it asked for; callers check ourDial, this keeps it so.
		addr, outbound = n.ourDial[id]
		if !outbound {
			addr = s.addr.String()
		}
	}
	if !n.pm.Connected(now, id, addr, outbound) { // counted in peering's Stats.Refused
		n.endSession(id)
		return false
	}
	direct := n.pm.IsDirect(id)
	dir := router.Inbound
	if outbound {
		dir = router.Outbound
	}
	// The dialer's hello makes the other side link; the other side's
	// answers it, so the dialer knows (see resendHellos).
	n.send(id, n.hello(), transport.PriorityControl)
	record, zone := s.addr.String(), ""
	if m, ok := n.mem.Member(id); ok {
		zone = m.Zone // else a SetPeerZone follows when membership learns it
		if m.Addr != "" {
			record = m.Addr
		}
	}
	n.r.AddPeer(now, id, router.PeerOptions{
		Direction: dir, Record: []byte(record), IP: s.addr.Addr(), Direct: direct, Zone: zone,
	})
	pi := &peerInfo{addr: s.addr, outbound: outbound, direct: direct, since: now, heard: !outbound}
	n.peers[id] = pi
	n.feedRTT(now, id, pi) // a membership session may have measured it already
	n.publishPeers()
	n.log.Debug("peer up", "peer", id.Short(), "addr", s.addr.String(), "outbound", outbound)
	if outbound {
		if m, ok := n.mem.Member(id); !ok || m.State == membership.StateDead || m.State == membership.StateLeft {
			n.mem.Join(now, id, record) // a seed, or any member: join the cluster through it
		}
	}
	for _, w := range n.waiters[id] {
		close(w)
	}
	delete(n.waiters, id)
	return true
}

// unlink removes a peer from the router and the peer manager; the session
// may stay for membership.
func (n *Node) unlink(now time.Time, id peer.ID, reason string) {
	if _, ok := n.peers[id]; !ok {
		return
	}
	n.r.RemovePeer(now, id)
	n.pm.Disconnected(now, id)
	delete(n.peers, id)
	n.publishPeers()
	n.log.Debug("peer down", "peer", id.Short(), "reason", reason)
}

// endSession asks the transport to end the session with id (an
// authenticated bye tells the other side); EventPeerDown follows. The peer
// is unlinked at once, so that nothing more goes to or comes from it.
func (n *Node) endSession(id peer.ID) {
	if s := n.sessions[id]; s != nil {
		if s.ending {
			return
		}
		s.ending = true
	}
	n.unlink(n.clock.Now(), id, "ended")
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		_ = n.conn.Disconnect(id) // ErrUnknownPeer: already gone
	}()
}

// actPeering carries out the peer manager's output: dials and disconnects.
func (n *Node) actPeering(now time.Time, out *peering.Output) {
	for _, d := range out.Dials {
		t := d.Target
		if !t.ID.IsZero() {
			n.dialled[t.ID] = t.Addr
			if _, ours := n.ourDial[t.ID]; ours {
				if s := n.sessions[t.ID]; s != nil && !s.ending {
					n.link(now, t.ID, true) // a membership session we dialled becomes a peer
					continue
				}
			}
			// A session the peer opened is dialled like none: linked as
			// outbound when our own Dial returns.
			if n.dialing[t.ID] {
				n.wantLink[t.ID] = true // a membership dial is under way: link when it is up
				continue
			}
		}
		n.startDial(dialPeer, t)
	}
	for _, d := range out.Disconnects {
		if d.Reason != "trim" && d.Reason != "slow" { // peering's Stats.Trims and SlowTrims
			n.counts.shed++
		}
		n.log.Debug("disconnecting", "peer", d.ID.Short(), "reason", d.Reason, "detail", d.Detail)
		n.endSession(d.ID)
	}
}

// startDial dials t in the background and reports the result on the loop.
// One dial per known ID at a time: two handshakes with the same peer at
// once would replace each other's sessions.
func (n *Node) startDial(kind dialKind, t peering.Target) {
	if !t.ID.IsZero() {
		n.dialing[t.ID] = true
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.DialTimeout)
		defer cancel()
		id, err := n.dial(ctx, t)
		_ = n.do(n.ctx, func(now time.Time) {
			n.noteDial(t, id, err)
			n.dialDone(now, kind, t, id, err)
		})
	}()
}

// dial resolves t and runs the handshake.
func (n *Node) dial(ctx context.Context, t peering.Target) (peer.ID, error) {
	ap, err := resolve(t.Addr)
	if err != nil {
		return peer.ID{}, err
	}
	id, err := n.conn.Dial(ctx, ap.String(), t.ID)
	return id, n.errClosed(err)
}

// errDialSessionEnded: a Dial returned, but the session it made had
// already ended when the loop learnt of it.
var errDialSessionEnded = errors.New("node: the dialled session ended before it was linked")

// dialDone handles the end of a dial, whatever it was for: on success the
// session is (or soon will be) up, and a peer when a link was wanted; on
// failure the peer manager and membership learn what they were waiting
// for.
func (n *Node) dialDone(now time.Time, kind dialKind, t peering.Target, id peer.ID, err error) {
	if !t.ID.IsZero() {
		delete(n.dialing, t.ID)
	}
	if _, live := n.conn.PeerStats(id); err == nil && n.sessions[id] == nil && !live {
		// The session our Dial made ended before the result reached the
		// loop (its EventPeerDown came first). Remembering the dial would
		// make the peer's next session, which it may open itself, count
		// as ours.
		err = errDialSessionEnded
	}
	if err != nil {
		n.counts.dialFailures++
		n.log.Debug("dial failed", "addr", t.Addr, "err", err)
		if kind == dialPeer || n.wantLink[t.ID] {
			addr := t.Addr
			if a, ok := n.dialled[t.ID]; ok {
				addr = a
			}
			n.pm.DialFailed(now, peering.Target{ID: t.ID, Addr: addr})
			delete(n.wantLink, t.ID)
			delete(n.dialled, t.ID)
		}
		if kind == dialMember || len(n.memQueue[t.ID]) > 0 {
			n.dropMemQueue(t.ID)
			n.mem.Unreachable(now, t.ID)
		}
		return
	}
	n.counts.dials++
	n.ourDial[id] = t.Addr // authenticated: the transport's Dial of t.Addr returned id
	if kind == dialMember && !n.wantLink[id] {
		return // sessionUp sent what waited
	}
	if pi, ok := n.peers[id]; ok {
		// Linked already, inbound: the peer's session came up and sent
		// GossipSub before our Dial returned. The manager learns that our
		// dial reached id (a bare-address seed or direct peer is named).
		if !pi.outbound {
			n.pm.DialReached(now, t, id)
		}
		delete(n.wantLink, id)
		delete(n.dialled, id)
		return
	}
	if _, ok := n.sessions[id]; ok {
		n.link(now, id, true)
		return
	}
	n.wantLink[id] = true // linked by sessionUp
}

// sendMember sends a membership payload, opening a session first when
// there is none (the payload waits, bounded, meanwhile).
func (n *Node) sendMember(now time.Time, s *membership.Send) {
	if sess := n.sessions[s.To]; sess != nil && !sess.ending {
		sess.lastMem = now
		n.send(s.To, s.Payload, transport.PriorityControl)
		return
	}
	q := n.memQueue[s.To]
	if len(q) >= maxMemQueue {
		n.counts.drop(dropMemberQueueFull)
		q = q[1:]
	}
	n.memQueue[s.To] = append(q, append([]byte(nil), s.Payload...))
	if n.dialing[s.To] {
		return // sessionUp sends it
	}
	if len(n.dialing) >= maxMemDialing {
		n.dropMemQueue(s.To) // counted as member-unreachable
		n.mem.Unreachable(now, s.To)
		return
	}
	n.startDial(dialMember, peering.Target{ID: s.To, Addr: s.Addr})
}

// flushMemQueue sends the membership payloads waiting for id's session.
func (n *Node) flushMemQueue(now time.Time, id peer.ID) {
	q := n.memQueue[id]
	if len(q) == 0 {
		return
	}
	delete(n.memQueue, id)
	n.sessions[id].lastMem = now
	for _, p := range q {
		n.send(id, p, transport.PriorityControl)
	}
}

// dropMemQueue drops, counted, the payloads waiting for id's session.
func (n *Node) dropMemQueue(id peer.ID) {
	for range n.memQueue[id] {
		n.counts.drop(dropMemberUnreachable)
	}
	delete(n.memQueue, id)
}

// helloFor is how long an outbound peer that has not answered is sent the
// hello again at each peer-manager round (a lost hello would leave the other
// side without the link).
const helloFor = 10 * time.Second

// resendHellos sends the hello again to outbound peers not heard from.
func (n *Node) resendHellos(now time.Time) {
	for id, pi := range n.peers {
		if pi.outbound && !pi.heard && now.Sub(pi.since) < helloFor {
			n.send(id, n.hello(), transport.PriorityControl)
		}
	}
}

// endIdleSessions ends membership-only sessions idle for sessionIdle.
func (n *Node) endIdleSessions(now time.Time) {
	for id, s := range n.sessions {
		if _, peer := n.peers[id]; peer || s.ending || n.wantLink[id] {
			continue
		}
		if now.Sub(s.lastMem) >= sessionIdle {
			n.counts.idleEnded++
			n.endSession(id)
		}
	}
}

// send queues one payload on the transport, counting the outcome.
func (n *Node) send(to peer.ID, p []byte, prio transport.Priority) error {
	err := n.conn.Send(to, p, prio)
	n.countSend(to, len(p), err)
	return err
}

// gossipPayload takes a GossipSub payload: from a session that is not a
// peer yet, it makes the sender an inbound peer first. The router gets the
// payload with the rest of the event-loop round (handlePayloads), in order.
func (n *Node) gossipPayload(now time.Time, from peer.ID, p []byte) {
	pi, ok := n.peers[from]
	h, hello, herr := rpc.ReadHello(p) // a walk over every field: once
	if !ok || hello {
		// Linking the sender, or refusing it for its hello's policy,
		// changes the router's peers: the payloads before it must be
		// handled first, as they would have been one by one.
		n.handlePayloads(now)
	}
	if n.policyRefused(now, from, h, hello && herr == nil) {
		return
	}
	if !ok {
		s := n.sessions[from]
		if s == nil || s.ending || !n.link(now, from, false) {
			n.counts.drop(dropShedPeer)
			return
		}
	} else {
		pi.heard = true
	}
	n.counts.bytesIn += uint64(len(p))
	n.pending = append(n.pending, router.Payload{From: from, Data: p})
}

// handlePayloads hands the GossipSub payloads taken since the last call to
// the router, in one call: their new messages' signatures are verified in
// one batch (over the node's cores, verifyPool).
func (n *Node) handlePayloads(now time.Time) {
	if len(n.pending) == 0 {
		return
	}
	n.r.HandlePayloads(now, n.pending) // errors are counted drops
	clear(n.pending)                   // the router owns the payloads now
	n.pending = n.pending[:0]
}
