package router

import (
	"fmt"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// PublishBatch publishes the messages of datas to topic in one input, as
// Publish publishes one, and orders each peer's share of them so that the
// first copies of all of them leave before any second copy (go-libp2p-
// pubsub's MessageBatch with its round-robin scheduler): message i goes
// first to the publish peer at position i (mod the number of peers), then
// to the next one, and so on, and each peer's Send lists its messages by
// that rank. A sender that takes one payload from each peer's queue in
// turn then puts message 1 on the wire to one peer, message 2 to another,
// ..., before it sends any message a second time, so the receivers start
// forwarding different messages at once: with large messages the last one
// reaches the cluster about as early as the first.
//
// It is all or nothing: when a message is a duplicate (of one seen, or of
// an earlier one of the batch) or a synchronous validator refuses it,
// PublishBatch returns ErrDuplicate or ErrRejected naming its index and
// publishes none (only the seqno may have advanced). ErrEmptyTopic
// likewise. The router keeps the data slices: do not modify them.
func (r *Router) PublishBatch(now time.Time, topic string, datas [][]byte) ([]string, error) {
	r.begin(now)
	if topic == "" {
		return nil, ErrEmptyTopic
	}
	msgs := make([]rpc.Message, len(datas))
	ids := make([]string, len(datas))
	seen := make(map[string]struct{}, len(datas))
	v := r.validators[topic]
	for i, data := range datas {
		m := &msgs[i]
		*m = rpc.Message{Data: data, Topic: topic}
		if r.cfg.SignaturePolicy == StrictSign {
			r.sign(m)
		}
		r.idbuf = r.appendID(r.idbuf[:0], m)
		_, again := seen[string(r.idbuf)]
		if again || r.seen.HasBytes(r.idbuf) {
			return nil, fmt.Errorf("%w: message %d of the batch", ErrDuplicate, i)
		}
		if v.Sync != nil {
			if res := v.Sync(r.id, m); res != validator.Accept {
				return nil, fmt.Errorf("%w: message %d of the batch: %v", ErrRejected, i, res)
			}
		}
		ids[i] = string(r.idbuf)
		seen[ids[i]] = struct{}{}
	}
	t := r.topic(topic)
	var b batchOrder
	for i := range msgs {
		pos := 0
		r.publishChecked(now, t, ids[i], &msgs[i], func(p peer.ID) {
			b.add(p, pos)
			pos++
		})
		b.endMessage(i, pos)
	}
	r.applyBatch(&b)
	r.gcTopic(t)
	return ids, nil
}

// batchOrder records, for each peer, the batch messages queued to it and
// their rank: message i's copies go to its peers in the order of
// rotate(peers, i), so the peer at position pos of n peers has rank
// (pos − i) mod n.
type batchOrder struct {
	peers []peer.ID            // in order of first use
	msgs  map[peer.ID][]ranked // per peer, in the order queued
	pend  []pendingRank        // the current message's peers, until endMessage
}

type ranked struct{ rank, msg int }

type pendingRank struct {
	p   peer.ID
	pos int
}

// add notes that the current message was queued to p, its peer number
// pos.
func (b *batchOrder) add(p peer.ID, pos int) {
	b.pend = append(b.pend, pendingRank{p: p, pos: pos})
}

// endMessage ranks the peers message i was queued to, n of them.
func (b *batchOrder) endMessage(i, n int) {
	if b.msgs == nil {
		b.msgs = map[peer.ID][]ranked{}
	}
	for _, pr := range b.pend {
		if _, ok := b.msgs[pr.p]; !ok {
			b.peers = append(b.peers, pr.p)
		}
		b.msgs[pr.p] = append(b.msgs[pr.p], ranked{rank: ((pr.pos-i)%n + n) % n, msg: i})
	}
	b.pend = b.pend[:0]
}

// applyBatch reorders the tail of each peer's Publish list (the batch's
// messages, queued last and in message order) by rank, then message.
func (r *Router) applyBatch(b *batchOrder) {
	for _, p := range b.peers {
		ps := r.peers[p]
		rs := b.msgs[p]
		if ps == nil || ps.sendEpoch != r.outEpoch || len(rs) < 2 {
			continue
		}
		pub := r.out.Sends[ps.sendIdx].RPC.Publish
		tail := pub[len(pub)-len(rs):]
		queued := slices.Clone(tail)
		order := make([]int, len(rs)) // order[k]: index in queued of the k-th to send
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, c int) int {
			if d := rs[a].rank - rs[c].rank; d != 0 {
				return d
			}
			return rs[a].msg - rs[c].msg
		})
		for k, j := range order {
			tail[k] = queued[j]
		}
	}
}
