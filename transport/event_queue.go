package transport

import (
	"sync"

	"github.com/gwyh/gwyh/peer"
)

// eventOverhead is what one queued event is charged beyond its payload
// bytes: the Event itself and its allocation.
const eventOverhead = 128

// eventQueue is the Events channel with a bound on its bytes as well as its
// count, and a fair share of both per peer.
//
// The channel is the queue: an event is pushed into it only when it fits,
// so nothing else holds events. What the consumer took is learned from
// len(ch): the events in the channel are the newest pushed, so of the
// charges recorded in push order (flight), all but the last len(ch) belong
// to events already received and are released before each admission.
//
// Payloads are admitted if the channel has room, its bytes stay within
// budget, and their peer stays within its share: a peer may hold at most
// 1/(n+1) of the slots and of the bytes, n being the number of peers with
// events queued, itself included (or one event, if it has none queued). So
// a lone peer may fill half the queue, and whatever a few peers send, a
// peer with nothing queued finds room.
// Otherwise they are dropped and the caller counts the packet as shed.
//
// Peer up/down events are never dropped: when the channel is full they
// wait, in order, for room (emit blocks, as it always did); while one
// waits, payloads are dropped, so no payload overtakes an up/down event.
type eventQueue struct {
	ch     chan Event
	budget int // bytes
	stop   <-chan struct{}

	mu      sync.Mutex
	bytes   int // charged for the events in ch (and perhaps a few already received)
	perPeer map[peer.ID]*peerCharge
	flight  chargeRing
	waiting []*eventWaiter // up/down events waiting for room, oldest first
}

type peerCharge struct{ bytes, count int }

type charge struct {
	peer  peer.ID
	bytes int
}

type eventWaiter struct {
	ev   Event
	done chan struct{} // closed once ev is in ch
}

func newEventQueue(count, budget int, stop <-chan struct{}) *eventQueue {
	return &eventQueue{
		ch: make(chan Event, count), budget: budget, stop: stop,
		perPeer: map[peer.ID]*peerCharge{},
		flight:  chargeRing{buf: make([]charge, count+1)},
	}
}

// eventCost is what ev is charged.
func eventCost(ev Event) int { return len(ev.Payload) + eventOverhead }

// deliverAll admits payload events in order under one lock (the payloads
// of one packet); dropped is called with the cause of each one refused:
// DropEventQueueFull (no slot or over the byte budget, or an up/down event
// waits) or DropEventPeerShare.
func (q *eventQueue) deliverAll(evs []Event, dropped func(DropCause)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.release()
	for _, ev := range evs {
		if ok, cause := q.admitLocked(ev); !ok {
			dropped(cause)
		}
	}
}

// admitLocked admits one payload event. q.mu held, charges released.
func (q *eventQueue) admitLocked(ev Event) (ok bool, cause DropCause) {
	cost := eventCost(ev)
	if len(q.waiting) > 0 || len(q.ch) == cap(q.ch) || q.bytes+cost > q.budget {
		return false, DropEventQueueFull
	}
	pc := q.perPeer[ev.Peer]
	n := len(q.perPeer)
	if pc == nil {
		pc = &peerCharge{}
		n++
	}
	// A peer with nothing queued is always admitted while there is room.
	if pc.count > 0 && ((pc.count+1)*(n+1) > cap(q.ch) || (pc.bytes+cost)*(n+1) > q.budget) {
		return false, DropEventPeerShare
	}
	select {
	case q.ch <- ev: // never blocks: only holders of q.mu push while nobody waits
	default:
		return false, DropEventQueueFull
	}
	q.chargeLocked(ev.Peer, cost)
	return true, 0
}

// emit queues a peer up/down event, waiting for room (or for stop) if the
// channel is full or other such events wait before it.
func (q *eventQueue) emit(ev Event) {
	q.mu.Lock()
	q.release()
	if len(q.waiting) == 0 && len(q.ch) < cap(q.ch) {
		q.ch <- ev
		q.chargeLocked(ev.Peer, eventCost(ev))
		q.mu.Unlock()
		return
	}
	w := &eventWaiter{ev: ev, done: make(chan struct{})}
	var prev *eventWaiter
	if len(q.waiting) > 0 {
		prev = q.waiting[len(q.waiting)-1]
	}
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
	if prev != nil {
		select {
		case <-prev.done:
		case <-q.stop:
			return
		}
	}
	// w is first in line: nobody else pushes until it is done.
	select {
	case q.ch <- ev:
	case <-q.stop:
		return
	}
	q.mu.Lock()
	q.release()
	q.waiting = q.waiting[1:]
	q.chargeLocked(ev.Peer, eventCost(ev))
	q.mu.Unlock()
	close(w.done)
}

// chargeLocked records an event just pushed into ch. q.mu held.
func (q *eventQueue) chargeLocked(id peer.ID, cost int) {
	q.bytes += cost
	pc := q.perPeer[id]
	if pc == nil {
		pc = &peerCharge{}
		q.perPeer[id] = pc
	}
	pc.bytes += cost
	pc.count++
	q.flight.push(charge{peer: id, bytes: cost})
}

// release gives back the charges of the events the consumer took. q.mu
// held. An event being pushed by a waiting emit is in ch but not yet in
// flight, so this may release one event late, never early.
func (q *eventQueue) release() {
	for q.flight.n > len(q.ch) {
		c := q.flight.pop()
		q.bytes -= c.bytes
		pc := q.perPeer[c.peer]
		pc.bytes -= c.bytes
		if pc.count--; pc.count == 0 {
			delete(q.perPeer, c.peer)
		}
	}
}

// chargeRing is a FIFO of charges with a fixed capacity (the channel's
// capacity plus one: release keeps at most len(ch) entries before a push).
type chargeRing struct {
	buf     []charge
	head, n int
}

func (r *chargeRing) push(c charge) {
	r.buf[(r.head+r.n)%len(r.buf)] = c
	r.n++
}

func (r *chargeRing) pop() charge {
	c := r.buf[r.head]
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return c
}
