package transport

import (
	"sync"

	"github.com/gwyh/gwyh/peer"
)

// eventOverhead is what one queued event is charged beyond its payload
// bytes: the Event itself and its allocation.
const eventOverhead = 128

// eventChanCap is the most events the Events channel itself buffers; the
// rest of Options.EventQueue waits in a slice that grows only as far as
// the backlog does, so that an idle Conn holds a few kilobytes, not
// EventQueue events' worth of memory.
const eventChanCap = 256

// eventQueue is the Events channel with a bound on its bytes as well as its
// count, and a fair share of both per peer.
//
// Events go straight into the channel while it has room and nothing waits
// before them; otherwise into backlog, a FIFO that grows on demand (and is
// given back once empty), from which pump moves them into the channel in
// order. The bounds apply to both together (held). What the consumer took
// is learned from held: the events still held are the newest pushed, so
// of the charges recorded in push order (flight), all but the last held
// belong to events already received and are released before each
// admission.
//
// Payloads are admitted if fewer than count events are held, the bytes
// stay within budget, and their peer stays within its share, a dynamic
// threshold: once admitted, a peer may hold no more events than the
// count leaves free, and no more bytes than the budget leaves free (a
// peer with nothing queued is admitted while there is room). So a lone
// peer may fill half the queue, k peers that keep it busy a 1/(k+1) share
// each, and a peer with nothing queued finds room whatever the others
// send; but peers with a few events queued do not hold back one that
// sends most (a publisher's burst, the one mesh peer a choked node hears
// from): a fixed 1/(n+1) share of n peers with anything queued shed a
// burst at every neighbour of its sender at once, which gossip could not
// always recover. Otherwise they are dropped and the caller counts the
// packet as shed.
//
// Peer up/down events are never dropped: when count events are held they
// join the backlog anyway and emit waits until pump has put them in the
// channel (it blocks, as it always did); while one waits, payloads are
// dropped, so no payload overtakes an up/down event.
type eventQueue struct {
	ch     chan Event
	count  int // events held at most (payloads)
	budget int // bytes
	stop   <-chan struct{}
	kick   chan struct{} // capacity 1: the backlog has events for pump

	mu      sync.Mutex
	bytes   int // charged for the events held (and perhaps a few already received)
	perPeer map[peer.ID]*peerCharge
	free    []*peerCharge // spare perPeer entries, so admission does not allocate
	flight  ring[charge]
	backlog ring[queued] // events not yet in ch, oldest first
	waiting int          // up/down events in backlog whose emit waits
}

type peerCharge struct{ bytes, count int }

type charge struct {
	peer  peer.ID
	bytes int
}

// queued is an event in the backlog; done, for an up/down event whose
// emit waits, is closed once the event is in ch.
type queued struct {
	ev   Event
	done chan struct{}
}

// newEventQueue returns a queue of at most count events and budget bytes.
// Its pump must run (go q.pump()) until stop is closed.
func newEventQueue(count, budget int, stop <-chan struct{}) *eventQueue {
	return &eventQueue{
		ch: make(chan Event, min(count, eventChanCap)), count: count, budget: budget, stop: stop,
		kick:    make(chan struct{}, 1),
		perPeer: map[peer.ID]*peerCharge{},
	}
}

// eventCost is what ev is charged.
func eventCost(ev Event) int { return len(ev.Payload) + eventOverhead }

// held is how many events the queue holds: in the channel and in the
// backlog (the one pump is handing over may be counted twice, which
// releases its charge late, never early). q.mu held.
func (q *eventQueue) held() int { return len(q.ch) + q.backlog.n }

// queued returns the events held and the bound on them.
func (q *eventQueue) queued() (n, limit int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held(), q.count
}

// deliverAll admits payload events in order under one lock (the payloads
// of one packet); dropped is called with the cause of each one refused:
// DropEventQueueFull (no room or over the byte budget, or an up/down event
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
	if q.waiting > 0 || q.held() >= q.count || q.bytes+cost > q.budget {
		return false, DropEventQueueFull
	}
	pc := q.perPeer[ev.Peer]
	// A peer with nothing queued is always admitted while there is room.
	if pc != nil && (pc.count+1 > q.count-q.held()-1 || pc.bytes+cost > q.budget-q.bytes-cost) {
		return false, DropEventPeerShare
	}
	q.pushLocked(queued{ev: ev})
	q.chargeLocked(ev.Peer, pc, cost)
	return true, 0
}

// pushLocked puts it in the channel, or behind the backlog. q.mu held.
func (q *eventQueue) pushLocked(it queued) {
	if q.backlog.n == 0 {
		select {
		case q.ch <- it.ev: // never blocks: only holders of q.mu push while the backlog is empty
			q.backlog.unused()
			if it.done != nil {
				q.waiting--
				close(it.done)
			}
			return
		default:
		}
	}
	q.backlog.push(it)
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// emit queues a peer up/down event, waiting (or until stop) while the
// queue is full or other such events wait before it.
func (q *eventQueue) emit(ev Event) {
	q.mu.Lock()
	q.release()
	it := queued{ev: ev}
	if q.waiting > 0 || q.held() >= q.count {
		it.done = make(chan struct{})
		q.waiting++
	}
	q.pushLocked(it)
	q.chargeLocked(ev.Peer, q.perPeer[ev.Peer], eventCost(ev))
	q.mu.Unlock()
	if it.done != nil {
		select {
		case <-it.done:
		case <-q.stop:
		}
	}
}

// pump moves the backlog into the channel, in order, until stop is
// closed. It runs on its own goroutine (Conn's, or a test's). What fits
// moves at once under the lock; it blocks only on a full channel.
func (q *eventQueue) pump() {
	for {
		q.mu.Lock()
		q.moveLocked()
		if q.backlog.n == 0 {
			q.mu.Unlock()
			select {
			case <-q.kick:
				continue
			case <-q.stop:
				return
			}
		}
		it := q.backlog.front()
		q.mu.Unlock()
		select {
		case q.ch <- it.ev:
		case <-q.stop:
			return
		}
		q.mu.Lock()
		q.popLocked()
		q.mu.Unlock()
	}
}

// moveLocked moves backlog events into the channel while it has room.
// q.mu held.
func (q *eventQueue) moveLocked() {
	for q.backlog.n > 0 {
		select {
		case q.ch <- q.backlog.front().ev: // never blocks: only holders of q.mu push
			q.popLocked()
		default:
			return
		}
	}
}

// popLocked drops the backlog's first event, just put in the channel.
// q.mu held.
func (q *eventQueue) popLocked() {
	if it := q.backlog.pop(); it.done != nil {
		q.waiting--
		close(it.done)
	}
}

// chargeLocked records an event just pushed; pc is its peer's entry, or
// nil if it has none. q.mu held.
func (q *eventQueue) chargeLocked(id peer.ID, pc *peerCharge, cost int) {
	q.bytes += cost
	if pc == nil {
		if n := len(q.free); n > 0 {
			pc, q.free = q.free[n-1], q.free[:n-1]
		} else {
			pc = &peerCharge{}
		}
		q.perPeer[id] = pc
	}
	pc.bytes += cost
	pc.count++
	q.flight.push(charge{peer: id, bytes: cost})
}

// release gives back the charges of the events the consumer took. q.mu
// held.
func (q *eventQueue) release() {
	var pc *peerCharge // of the previous charge, as runs of one peer are common
	var id peer.ID
	for q.flight.n > q.held() {
		c := q.flight.pop()
		q.bytes -= c.bytes
		if pc == nil || c.peer != id {
			pc, id = q.perPeer[c.peer], c.peer
		}
		pc.bytes -= c.bytes
		if pc.count--; pc.count == 0 {
			delete(q.perPeer, c.peer)
			if len(q.free) < 64 {
				q.free = append(q.free, pc)
			}
			pc = nil
		}
	}
}

// ring is a FIFO that grows by doubling as needed. When it empties, it
// gives its memory back if it has been using at most a quarter of it since
// it last emptied, or, empty, once it was passed over (unused) as many
// times as it has room: so a burst leaves nothing behind while a steady
// backlog keeps its buffer.
type ring[T any] struct {
	buf     []T
	head, n int
	peak    int // largest n since the ring last emptied
	idle    int // see unused
}

// ringKeep is the capacity a ring always keeps when it empties.
const ringKeep = 64

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		buf := make([]T, max(16, 2*len(r.buf)))
		for i := range r.n {
			buf[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
	r.peak = max(r.peak, r.n)
	r.idle = 0
}

// unused notes that an item went past the empty ring.
func (r *ring[T]) unused() {
	if len(r.buf) <= ringKeep {
		return
	}
	if r.idle++; r.idle >= len(r.buf) {
		r.buf, r.idle = nil, 0
	}
}

func (r *ring[T]) front() T { return r.buf[r.head] }

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // no stale payload references
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > ringKeep && 4*r.peak <= len(r.buf) {
			r.buf = nil
		}
		r.peak = 0
	}
	return v
}
