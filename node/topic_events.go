package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
)

// PeerEventKind says what a PeerEvent reports.
type PeerEventKind uint8

const (
	// PeerJoin: the peer subscribed to the topic (or was subscribed when
	// the watch started).
	PeerJoin PeerEventKind = iota + 1
	// PeerLeave: the peer unsubscribed from the topic, or disconnected.
	PeerLeave
)

// String returns "join" or "leave".
func (k PeerEventKind) String() string {
	switch k {
	case PeerJoin:
		return "join"
	case PeerLeave:
		return "leave"
	}
	return "unknown"
}

// PeerEvent is a connected peer joining or leaving a topic
// (go-libp2p-pubsub's PeerEvent).
type PeerEvent struct {
	Kind  PeerEventKind
	Peer  peer.ID
	Topic string
}

// PeerEvents receives the PeerJoin and PeerLeave events of one topic, in
// the order they happened (go-libp2p-pubsub's TopicEventHandler). The node
// never blocks on it: an event that finds the buffer full is dropped,
// counted in Dropped and in Stats.NodeDrops as "topic-event-full"; a
// watcher that sees Dropped grow can resynchronise with
// TopicHandle.Peers. Safe for concurrent use.
type PeerEvents struct {
	h       *TopicHandle
	c       chan PeerEvent
	dropped atomic.Uint64
	once    sync.Once
	err     error // why C was closed; written before the close
}

// WatchPeers returns a watch of the topic's peers with a buffer of size
// events (size ≤ 0: 256). Its first events are a PeerJoin for each peer
// already in the topic (sorted; those beyond the buffer are dropped and
// counted). Errors: ErrTopicClosed, ErrClosed.
func (h *TopicHandle) WatchPeers(size int) (*PeerEvents, error) {
	if size <= 0 {
		size = 256
	}
	w := &PeerEvents{h: h, c: make(chan PeerEvent, size)}
	n := h.n
	var err error
	if e := n.do(context.Background(), func(time.Time) {
		if h.closed.Load() || n.topics[h.name] != h {
			err = ErrTopicClosed
			return
		}
		h.watches = append(h.watches, w)
		for _, p := range n.r.TopicPeers(h.name) {
			n.pushPeerEvent(w, PeerEvent{Kind: PeerJoin, Peer: p, Topic: h.name})
		}
	}); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

// C returns the channel of events. It is closed when the watch ends: by
// Cancel, Close of the topic handle, or Close of the node.
func (w *PeerEvents) C() <-chan PeerEvent { return w.c }

// Next returns the next event, waiting until one comes or ctx ends
// (go-libp2p-pubsub's NextPeerEvent). Once the watch has ended and its
// buffered events are read, it returns ErrCanceled, ErrTopicClosed or
// ErrClosed.
func (w *PeerEvents) Next(ctx context.Context) (PeerEvent, error) {
	select {
	case e, ok := <-w.c:
		if !ok {
			return PeerEvent{}, w.err
		}
		return e, nil
	case <-ctx.Done():
		return PeerEvent{}, ctx.Err()
	}
}

// Dropped returns how many events were dropped because the buffer was
// full.
func (w *PeerEvents) Dropped() uint64 { return w.dropped.Load() }

// Cancel ends the watch: C is closed after the events already buffered.
// Idempotent.
func (w *PeerEvents) Cancel() {
	// ErrClosed: the node closed, and ended every watch.
	_ = w.h.n.do(context.Background(), func(time.Time) {
		for i, x := range w.h.watches {
			if x == w {
				w.h.watches = append(w.h.watches[:i], w.h.watches[i+1:]...)
				break
			}
		}
		w.end(ErrCanceled)
	})
}

// end closes C once, recording why.
func (w *PeerEvents) end(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.c)
	})
}

// endWatches ends every watch of the topic. Called on the loop, or once
// the loop has ended.
func (h *TopicHandle) endWatches(err error) {
	for _, w := range h.watches {
		w.end(err)
	}
	h.watches = nil
}

// topicPeerEvent hands a router subscription event to the topic's
// watches. Called on the loop.
func (n *Node) topicPeerEvent(e *router.Event) {
	h := n.topics[e.Topic]
	if h == nil || len(h.watches) == 0 {
		return
	}
	ev := PeerEvent{Kind: PeerJoin, Peer: e.Peer, Topic: e.Topic}
	if e.Kind == router.EventUnsubscribe {
		ev.Kind = PeerLeave
	}
	for _, w := range h.watches {
		n.pushPeerEvent(w, ev)
	}
}

// pushPeerEvent queues ev on w, or drops it (counted) when w is full.
func (n *Node) pushPeerEvent(w *PeerEvents, ev PeerEvent) {
	select {
	case w.c <- ev:
	default:
		w.dropped.Add(1)
		n.counts.drop(dropTopicEventFull)
	}
}
