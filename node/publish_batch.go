package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// PublishBatch publishes the messages of datas to the topic together and
// returns their ids, in order (go-libp2p-pubsub's MessageBatch). The
// messages are published in one turn of the event loop, and their copies
// are queued so that the first copy of every message leaves before any
// message leaves a second time: message i goes first to the i-th peer it
// is meant for, then to the next, and the payloads are queued to the
// peers round-robin (each peer's first payload, then each one's second,
// ...). Receivers thus start forwarding different messages at once, and
// with large messages on a limited uplink the last message of the batch
// reaches the topic about as soon as the first, instead of after every
// copy of the earlier ones. Each peer may get the messages in a different
// order.
//
// It is all or nothing up to the router: each message is checked as
// Publish checks it (size, the topic's Validator, duplicates), and when
// one fails nothing is published: nil and the error of Publish for it
// (ErrTooLarge, ErrRejected, ErrDuplicate; the index is in the text).
// MinPeers and WaitForRoom wait once, for the whole batch. Once published,
// the ids come with nil, or a *PublishError as for Publish whose ID is
// the first message's and whose Queued and Refused count peers: a peer is
// refused when a payload of the batch was refused to it. An empty batch
// publishes nothing and returns nil, nil. Stats.Published counts each
// message.
func (h *TopicHandle) PublishBatch(ctx context.Context, datas [][]byte) ([]string, error) {
	n := h.n
	switch {
	case n.closed.Load():
		return nil, ErrClosed
	case h.closed.Load():
		return nil, ErrTopicClosed
	case len(datas) == 0:
		return nil, nil
	}
	own := make([][]byte, len(datas))
	for i, data := range datas {
		if len(data) > n.cfg.MaxMessageSize {
			return nil, fmt.Errorf("%w: message %d: %d bytes > %d", ErrTooLarge, i, len(data), n.cfg.MaxMessageSize)
		}
		if h.validate != nil && !h.opts.ValidateInline {
			j := vjob{topic: h.name, from: n.ID(), data: data, fn: h.validate}
			if res := n.runValidator(ctx, j); res != validator.Accept {
				return nil, fmt.Errorf("%w: message %d: %v", ErrRejected, i, res)
			}
		}
		own[i] = bytes.Clone(data)
		if own[i] == nil {
			own[i] = []byte{}
		}
	}
	if h.opts.MinPeers > 0 {
		if err := h.WaitPeers(ctx, h.opts.MinPeers); err != nil {
			return nil, err
		}
	}
	if h.opts.WaitForRoom {
		if err := n.waitRoom(ctx); err != nil {
			return nil, err
		}
	}
	var (
		ids []string
		err error
		res = flushResult{interleave: true, handed: n.clock.Now()}
	)
	if e := n.do(ctx, func(now time.Time) {
		ids, err = n.r.PublishBatch(now, h.name, own)
		n.counts.published += uint64(len(own))
		n.flushInto(now, &res)
	}); e != nil {
		return nil, e
	}
	switch {
	case errors.Is(err, router.ErrDuplicate):
		return nil, fmt.Errorf("%w: %w", ErrDuplicate, err)
	case errors.Is(err, router.ErrRejected):
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	case err != nil:
		return nil, err
	case res.ownPeers == 0 || res.ownRefused > 0:
		return ids, &PublishError{ID: ids[0], Topic: h.name, Queued: res.ownQueued, Refused: res.ownRefused}
	}
	return ids, nil
}

// sendInterleaved packs every Send and queues the payloads round-robin
// across the peers (interleaveOrder), so that no peer's payloads all go
// before another's first.
func (n *Node) sendInterleaved(sends []router.Send, res *flushResult) {
	packed := make([][][]byte, len(sends))
	counts := make([]int, len(sends))
	for i := range sends {
		s := &sends[i]
		if _, ok := n.peers[s.To]; !ok {
			n.counts.drop(dropPeerGone)
			if s.Own {
				res.ownRefused++
			}
			continue
		}
		packed[i] = rpc.Pack(nil, &s.RPC, n.packMTU)
		counts[i] = len(packed[i])
	}
	refused := make([]bool, len(sends))
	for _, op := range interleaveOrder(counts) {
		s := &sends[op.send]
		if err := n.send(s.To, packed[op.send][op.payload], priority(&s.RPC)); err != nil {
			refused[op.send] = true
		} else if s.Own {
			res.queuedOwn(n.clock)
		}
	}
	for i := range sends {
		switch {
		case !sends[i].Own || packed[i] == nil:
		case refused[i]:
			res.ownRefused++
		default:
			res.ownQueued++
		}
	}
}

// sendOp is one payload to queue: payload number payload of Send send.
type sendOp struct{ send, payload int }

// interleaveOrder returns the order in which to queue the payloads of
// several Sends, counts[i] of Send i: the first payload of each Send in
// turn, then the second of each, and so on.
func interleaveOrder(counts []int) []sendOp {
	total, most := 0, 0
	for _, c := range counts {
		total += c
		most = max(most, c)
	}
	ops := make([]sendOp, 0, total)
	for j := range most {
		for i, c := range counts {
			if j < c {
				ops = append(ops, sendOp{send: i, payload: j})
			}
		}
	}
	return ops
}
