package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peering"
)

// Member is one node of the cluster as this node's membership view holds
// it: ID, address, zone, tags, incarnation, state (alive, suspect, dead or
// left) and since when.
type Member = membership.Member

// MemberState is a member's state.
type MemberState = membership.State

// MemberEvent is a change in the membership view: a member joined, was
// updated, became suspect, refuted, died or left.
type MemberEvent = membership.Event

// Member states and event kinds, re-exported from package membership.
const (
	MemberAlive   = membership.StateAlive
	MemberSuspect = membership.StateSuspect
	MemberDead    = membership.StateDead
	MemberLeft    = membership.StateLeft
)

// Members returns the membership view: every member this node knows,
// itself included, sorted by ID; dead and left members are listed while
// the view keeps them (membership.Params.DeadRetention). After Close it
// returns nil.
func (n *Node) Members() []Member {
	var ms []Member
	if err := n.do(context.Background(), func(time.Time) { ms = n.mem.Members() }); err != nil {
		return nil
	}
	return ms
}

// MemberWatch receives membership events. The node never blocks on it:
// an event that finds the buffer full is dropped and counted in Dropped
// (and in Stats.NodeDrops as member-watch-full).
type MemberWatch struct {
	c       chan MemberEvent
	dropped atomic.Uint64
	n       *Node
	once    sync.Once
}

// WatchMembers returns a watch with a buffer of size events (size ≤ 0:
// 256). The channel is closed by Close of the watch or of the node.
func (n *Node) WatchMembers(size int) (*MemberWatch, error) {
	if size <= 0 {
		size = 256
	}
	w := &MemberWatch{c: make(chan MemberEvent, size), n: n}
	if err := n.do(context.Background(), func(time.Time) { n.watches = append(n.watches, w) }); err != nil {
		return nil, err
	}
	return w, nil
}

// C returns the channel of events, in the order they happened.
func (w *MemberWatch) C() <-chan MemberEvent { return w.c }

// Dropped returns how many events were dropped because C was full.
func (w *MemberWatch) Dropped() uint64 { return w.dropped.Load() }

// Close stops the watch and closes C. It is idempotent.
func (w *MemberWatch) Close() {
	// ErrClosed: the node closed, and closed every watch.
	_ = w.n.do(context.Background(), func(time.Time) { w.n.removeWatch(w) })
}

// removeWatch closes w and forgets it. Called on the loop.
func (n *Node) removeWatch(w *MemberWatch) {
	for i, x := range n.watches {
		if x == w {
			n.watches = append(n.watches[:i], n.watches[i+1:]...)
			w.once.Do(func() { close(w.c) })
			return
		}
	}
}

// closeWatches closes every watch; called once the loop has ended.
func (n *Node) closeWatches() {
	for _, w := range n.watches {
		w.once.Do(func() { close(w.c) })
	}
	n.watches = nil
}

// actMembership carries out the membership output: payloads to members,
// and member events to the peer manager, the router and the watches.
func (n *Node) actMembership(now time.Time, out *membership.Output) {
	for i := range out.Sends {
		n.sendMember(now, &out.Sends[i])
	}
	for i := range out.Events {
		n.memberEvent(now, &out.Events[i])
	}
}

// memberEvent feeds one member event to the peer manager, gives the
// router the zone of a linked peer's record and, when a member died or
// left, drops it as a peer at once rather than after the transport's
// timeout.
func (n *Node) memberEvent(now time.Time, e *membership.Event) {
	m := &e.Member
	if k := e.Kind; k.Up() || k.Gone() {
		n.pm.Member(now, peering.Target{ID: m.ID, Addr: m.Addr, Zone: m.Zone}, k.Up())
	}
	if _, ok := n.sessions[m.ID]; ok && e.Kind.Gone() {
		n.endSession(m.ID)
	} else if !e.Kind.Gone() {
		n.memberZone(now, m.ID, m.Zone)
	}
	n.log.Debug("member", "event", e.Kind.String(), "peer", m.ID.Short(), "addr", m.Addr, "incarnation", m.Incarnation)
	for _, w := range n.watches {
		select {
		case w.c <- *e:
		default:
			w.dropped.Add(1)
			n.counts.drop(dropMemberWatchFull)
		}
	}
}
