package node

import (
	"errors"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/validator"
)

// flushResult counts the payloads of own messages (Send.Own) a flush
// queued on the transport and the ones the transport refused.
type flushResult struct{ ownQueued, ownRefused int }

// flush acts on the router's output while it has one, in the order the
// router asks: sends, deliveries, validations, events, published, deadline.
// Router inputs made while acting (a validation the node cannot run, a
// graylisted peer shed) are fine: the Output stays valid until Advance, and
// what they produce is the next Output.
func (n *Node) flush(now time.Time) (res flushResult) {
	for n.r.HasReady() {
		n.flushOnce(now, n.r.Ready(), &res)
		n.r.Advance()
	}
	return res
}

func (n *Node) flushOnce(now time.Time, out *router.Output, res *flushResult) {
	for i := range out.Sends {
		n.send(&out.Sends[i], res)
	}
	for i := range out.Deliveries {
		n.deliver(&out.Deliveries[i])
	}
	for i := range out.Validations {
		n.startValidation(now, &out.Validations[i])
	}
	for i := range out.Events {
		n.handleRouterEvent(now, &out.Events[i])
	}
	for i := range out.Published {
		if out.Published[i].Peers == 0 {
			n.counts.drop(dropNoPeers)
			n.tracer.Drop(peer.ID{}, out.Published[i].Topic, dropNoPeers.String())
		}
	}
	if d := n.r.Stats().Duplicates; d != n.lastDups {
		n.tracer.Duplicate(d - n.lastDups)
		n.lastDups = d
	}
	n.armTimer(now, out.Deadline)
}

// priority says at which transport priority an RPC travels: control
// (GRAFT, PRUNE, subscriptions), messages, or gossip (IHAVE/IWANT only).
func priority(m *rpc.RPC) transport.Priority {
	switch {
	case len(m.Graft) > 0 || len(m.Prune) > 0 || len(m.Subscriptions) > 0:
		return transport.PriorityControl
	case len(m.Publish) > 0:
		return transport.PriorityMessage
	default:
		return transport.PriorityGossip
	}
}

// send packs one peer's RPC and queues the payloads on the transport.
func (n *Node) send(s *router.Send, res *flushResult) {
	if _, ok := n.peers[s.To]; !ok {
		n.counts.drop(dropPeerGone)
		return
	}
	prio := priority(&s.RPC)
	n.pack = rpc.Pack(n.pack, &s.RPC, n.packMTU)
	for _, p := range n.pack {
		err := n.conn.Send(s.To, p, prio)
		switch {
		case err == nil:
			n.counts.payloadsOut++
			n.counts.bytesOut += uint64(len(p))
			if s.Own {
				res.ownQueued++
			}
		case errors.Is(err, transport.ErrQueueFull):
			n.counts.drop(dropQueueFull)
			n.tracer.Drop(s.To, "", dropQueueFull.String())
			if s.Own {
				res.ownRefused++
			}
		case errors.Is(err, transport.ErrUnknownPeer):
			n.counts.drop(dropPeerGone)
		default:
			n.counts.drop(dropSendError)
			n.log.Debug("send failed", "peer", s.To.Short(), "err", err)
		}
	}
}

// deliver hands an accepted message to the topic's subscriptions.
func (n *Node) deliver(d *router.Delivery) {
	n.tracer.Deliver(d.ID, d.Topic, d.From, d.ReceivedFrom, d.Local)
	h := n.topics[d.Topic]
	if h == nil {
		return
	}
	h.deliver(Message{
		ID: d.ID, Topic: d.Topic, Data: d.Msg.Data,
		From: d.From, ReceivedFrom: d.ReceivedFrom, Local: d.Local,
	})
}

// startValidation hands a validation to the worker pool, or ignores the
// message when the pool's queue is full (counted).
func (n *Node) startValidation(now time.Time, v *router.ValidationRequest) {
	h := n.topics[v.Topic]
	id := v.ID
	if h == nil || h.validate == nil {
		n.r.ValidationDone(now, id, validator.Accept)
		return
	}
	job := vjob{id: v.ID, topic: v.Topic, from: v.From, data: v.Msg.Data, fn: h.validate}
	select {
	case n.vjobs <- job:
	default:
		n.counts.drop(dropValidationQueueFull)
		n.r.ValidationDone(now, id, validator.Ignore)
	}
}

// handleRouterEvent feeds the tracer and the peer manager.
func (n *Node) handleRouterEvent(now time.Time, e *router.Event) {
	switch e.Kind {
	case router.EventGraft:
		n.tracer.Graft(e.Peer, e.Topic)
	case router.EventPrune:
		n.tracer.Prune(e.Peer, e.Topic)
	case router.EventPeerExchange:
		for _, px := range e.PX {
			n.book.learn(px.ID, string(px.Record), now)
		}
	case router.EventGraylisted:
		n.tracer.Graylist(e.Peer)
		n.shedPeer(now, e.Peer, "graylisted")
	case router.EventReject:
		n.tracer.Reject(e.MsgID, e.Topic, e.Peer, e.Cause.String())
	case router.EventDrop:
		n.tracer.Drop(e.Peer, e.Topic, e.Cause.String())
	case router.EventBrokenPromise:
		n.tracer.Drop(e.Peer, "", "broken-promise")
	}
}

// shedPeer disconnects a graylisted peer (see disconnect); direct peers
// stay.
func (n *Node) shedPeer(now time.Time, p peer.ID, reason string) {
	pi, ok := n.peers[p]
	if !ok || pi.direct {
		return
	}
	n.disconnect(now, p, reason)
	n.counts.shed++
}
