package node

import (
	"errors"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/validator"
)

// flushResult is what a flush did with an own message (Send.Own): the
// peers it was meant for (router.Published.Peers), the peers all of whose
// payloads the transport queued, and the peers one of whose payloads it
// refused (or that were gone). interleave, set by the caller, makes the
// flush queue the router's payloads round-robin across peers
// (PublishBatch).
type flushResult struct {
	ownPeers, ownQueued, ownRefused int
	interleave                      bool
	// handed, set by the caller, is when Publish handed its message(s)
	// to the loop; firstOwn when the first payload of one was queued.
	handed, firstOwn time.Time
}

// flush acts on the output of the router, membership and the peer manager
// while any has some; acting on one may give input to another (a member
// died: the peer manager forgets it and the router drops it as a peer).
// Inputs made while acting are fine: an Output stays valid until Advance,
// and what they produce is the next Output. Then it arms the timer.
func (n *Node) flush(now time.Time) (res flushResult) {
	n.flushInto(now, &res)
	return res
}

// flushInto is flush with the result (and its interleave flag) in res.
func (n *Node) flushInto(now time.Time, res *flushResult) {
	for {
		switch {
		case n.r.HasReady():
			out := n.r.Ready()
			n.actRouter(now, out, res)
			n.routerDL = out.Deadline
			n.r.Advance()
		case n.mem.HasReady():
			out := n.mem.Ready()
			n.actMembership(now, out)
			n.memDL = out.Deadline
			n.mem.Advance()
		case n.pm.HasReady():
			out := n.pm.Ready()
			n.actPeering(now, out)
			n.peerDL = out.Deadline
			n.pm.Advance()
		default:
			n.armTimer(now)
			return
		}
	}
}

// actRouter acts on one router Output in the order it asks: sends,
// deliveries, validations, events, published.
func (n *Node) actRouter(now time.Time, out *router.Output, res *flushResult) {
	if res.interleave {
		n.sendInterleaved(out.Sends, res)
	} else {
		for i := range out.Sends {
			n.sendRPC(&out.Sends[i], res)
		}
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
		if !res.handed.IsZero() && !res.firstOwn.IsZero() && out.Published[i].Peers > 0 {
			n.counts.publish.observe(res.firstOwn.Sub(res.handed))
		}
		res.ownPeers += out.Published[i].Peers
		if out.Published[i].Peers == 0 {
			n.counts.drop(dropNoPeers)
			n.tracer.Drop(peer.ID{}, out.Published[i].Topic, dropNoPeers.String())
		}
	}
	if d := n.r.Stats().Duplicates; d != n.lastDups {
		n.tracer.Duplicate(d - n.lastDups)
		n.lastDups = d
	}
	n.wakeTopicWaiters()
}

// priority says at which transport priority an RPC travels: control
// (GRAFT, PRUNE, CHOKE, UNCHOKE, subscriptions), messages, or gossip
// (IHAVE/IWANT only).
func priority(m *rpc.RPC) transport.Priority {
	switch {
	case len(m.Graft) > 0 || len(m.Prune) > 0 || len(m.Subscriptions) > 0 ||
		len(m.Choke) > 0 || len(m.Unchoke) > 0:
		return transport.PriorityControl
	case len(m.Publish) > 0:
		return transport.PriorityMessage
	default:
		return transport.PriorityGossip
	}
}

// sendRPC packs one peer's RPC and queues the payloads on the transport.
func (n *Node) sendRPC(s *router.Send, res *flushResult) {
	if _, ok := n.peers[s.To]; !ok {
		n.counts.drop(dropPeerGone)
		if s.Own {
			res.ownRefused++
		}
		return
	}
	prio := priority(&s.RPC)
	n.pack = rpc.Pack(n.pack, &s.RPC, n.packMTU)
	refused := false
	for _, p := range n.pack {
		if err := n.send(s.To, p, prio); err != nil {
			refused = true // which payload held the message is not known: any counts
		} else if s.Own {
			res.queuedOwn(n.clock)
		}
	}
	switch {
	case !s.Own:
	case refused:
		res.ownRefused++
	default:
		res.ownQueued++
	}
}

// countSend counts the outcome of one transport send.
func (n *Node) countSend(to peer.ID, size int, err error) {
	switch {
	case err == nil:
		n.counts.payloadsOut++
		n.counts.bytesOut += uint64(size)
	case errors.Is(err, transport.ErrQueueFull):
		n.counts.drop(dropQueueFull)
		n.tracer.Drop(to, "", dropQueueFull.String())
	case errors.Is(err, transport.ErrUnknownPeer):
		n.counts.drop(dropPeerGone)
	default:
		n.counts.drop(dropSendError)
		n.log.Debug("send failed", "peer", to.Short(), "err", err)
	}
}

// queuedOwn notes that a payload with an own message was queued.
func (res *flushResult) queuedOwn(c clock.Clock) {
	if res.firstOwn.IsZero() && !res.handed.IsZero() {
		res.firstOwn = c.Now()
	}
}

// deliver hands an accepted message to the topic's subscriptions.
func (n *Node) deliver(d *router.Delivery) {
	if !d.Local {
		n.counts.delivery.observe(n.clock.Now().Sub(d.Received))
	}
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
	job := &vjob{id: v.ID, topic: v.Topic, from: v.From, data: v.Msg.Data, fn: h.validate}
	select {
	case n.vjobs <- job:
	default:
		n.counts.drop(dropValidationQueueFull)
		n.r.ValidationDone(now, id, validator.Ignore)
	}
}

// handleRouterEvent feeds the tracer, the peer manager and the topics'
// peer watches, and ends the sessions of blacklisted peers.
func (n *Node) handleRouterEvent(now time.Time, e *router.Event) {
	switch e.Kind {
	case router.EventGraft:
		n.tracer.Graft(e.Peer, e.Topic)
	case router.EventPrune:
		n.tracer.Prune(e.Peer, e.Topic)
	case router.EventPeerExchange:
		for _, px := range e.PX {
			n.pm.Offer(now, peering.Target{ID: px.ID, Addr: string(px.Record)}, peering.SourceExchange)
		}
	case router.EventGraylisted:
		n.tracer.Graylist(e.Peer)
		n.pm.Ban(now, e.Peer, "graylisted") // its Disconnect ends the session
	case router.EventReject:
		n.tracer.Reject(e.MsgID, e.Topic, e.Peer, e.Cause.String())
	case router.EventDrop:
		n.tracer.Drop(e.Peer, e.Topic, e.Cause.String())
	case router.EventBrokenPromise:
		n.tracer.Drop(e.Peer, "", "broken-promise")
	case router.EventSubscribe, router.EventUnsubscribe:
		n.topicPeerEvent(e)
	case router.EventBlacklisted:
		n.blacklisted(now, e.Peer)
	}
}
