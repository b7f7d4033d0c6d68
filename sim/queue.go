package sim

import (
	"fmt"
	"math/bits"
	"slices"
)

// evKind says what an event does when it fires.
type evKind uint8

const (
	// evPacket: payload arrives at node to from node from.
	evPacket evKind = iota + 1
	// evTimer: node's router deadline; stale when at != node.timerAt.
	evTimer
	// evPublish: the arg-th publish of the run is due.
	evPublish
	// evAttack: attacker node's periodic action (spam, IHAVE, regraft).
	evAttack
	// evJoin: node joins (connects); evLeave: node leaves (churn).
	evJoin
	evLeave
	// evSample: periodic metrics sample and invariant check.
	evSample
	// evFlash: covert-flash attackers stop forwarding.
	evFlash
	// evMemPacket: a membership payload arrives at node to from node from.
	evMemPacket
	// evMemTimer, evPeerTimer: node's membership and peer manager
	// deadlines; stale when at differs from node.memAt / node.pmAt.
	evMemTimer
	evPeerTimer
	// evDial: node to's dial of node from completes its handshake (or
	// finds nobody); evDialFail: the dial timed out.
	evDial
	evDialFail
	// evCrash: the crash; evStall: node to pauses for arg ms; evResume:
	// it runs again; evCheck: periodic membership view check.
	evCrash
	evStall
	evResume
	evCheck
	// evScoreCheck: periodic check of scores against the thresholds
	// (scoreCost, runs with scoring only).
	evScoreCheck
	// evControl: the transport's receiver reports (arg 0) or pings (arg
	// 1) of every honest node (Network.Control).
	evControl
	// evDirectory: a change of the shared directory of the directory
	// membership mode (arg: dirLearn, dirGone, ...; to: the node, from:
	// its incarnation).
	evDirectory
	// evHangup: node from closed its end of its connection with node to,
	// which learns it now (arg: the connection's generation, link.gen).
	evHangup
)

// nodeLocal reports whether events of kind k touch no node but their own
// (e.to): they read other nodes only where events of other kinds change
// them, change the run's shared state only by counting, and schedule
// another node's events no sooner than the lookahead (simulator.look)
// ahead. The loop may handle a window of them node by node (window).
func nodeLocal(k evKind) bool {
	switch k {
	case evPacket, evTimer, evMemPacket, evMemTimer, evPeerTimer, evDialFail, evResume, evHangup:
		return true
	}
	return false
}

// event is one scheduled action. It is small and copied by value; the
// payload slice (packets only) is owned by the event until it fires.
type event struct {
	at      int64 // virtual ns since the run's epoch
	seq     uint64
	payload []byte
	to      int32
	from    int32
	arg     int32 // kind-specific: receiver incarnation, publish index, ...
	kind    evKind
}

// queue is the simulator's event queue: events pop in (at, seq) order.
// seq is the event's origin (the node whose event was being handled when
// it was pushed, or the run itself) in its high bits and that origin's own
// push counter below, so ties break by origin, then in each origin's push
// order. The order is total (seq is unique) and does not depend on how
// events of different nodes interleave while they are handled, which is
// what lets the loop handle a window's events node by node (window) with
// the result it would get handling them in time order; nor does the pop
// sequence depend on how the queue stores its events.
//
// It is a calendar queue (Brown 1988) with a fixed bucket width: time is
// cut into buckets of 2^bucketShift ns, and a ring of ringSize buckets
// covers a window of about a second from the current bucket, which holds
// nearly every event of a run (packets are due 0.5–150 ms ahead, router
// timers within a heartbeat). A push into the window is an append to its
// bucket's unsorted slice; a bucket is sorted once, when it becomes the
// current one, and then popped from the front. A push into the current
// bucket or before it (handling an event schedules one at now) is inserted
// into the sorted current bucket; a push beyond the window waits in a heap
// and moves into its bucket when the window reaches it. The zero value is
// an empty queue whose pushes come from the run.
type queue struct {
	cur  []event // the current bucket, sorted; cur[r:] are still queued
	r    int
	curB int64 // the current bucket's number (at >> bucketShift)
	ring [][]event
	// spare holds emptied bucket arrays for buckets that are empty, so
	// that a run at steady state does not allocate one per bucket (see
	// retire).
	spare  [][]event
	used   [ringSize / 64]uint64 // bit b%ringSize: ring bucket b is not empty
	inRing int                   // events in the ring
	far    heap                  // events beyond the window
	seq    uint64                // the run's own push counter
	// ctr and hi stamp the next push: the current origin's counter (nil:
	// the run's, seq) and its number in seq's high bits (from).
	ctr *uint64
	hi  uint64
	// win, while on, takes the pushes due before end: they are the
	// current node's own (checked), handled in this window (window).
	win struct {
		on    bool
		end   int64
		node  int32
		local heap
	}
	// out, when set, collects the pushes that put would make: a window
	// worker's, which the loop puts after the window (their order of
	// insertion does not matter).
	out *[]event
}

// originShift puts an event's origin above its origin's push counter
// (2^40 pushes per node); runOrigin, the largest origin, is the run's own
// events (scheduled up front, or pushed while a run-wide event is
// handled), so that at one instant they come after the nodes' events.
const (
	originShift = 40
	runOrigin   = 1<<(64-originShift) - 1
)

// from makes the pushes that follow node idx's, stamped from its counter
// ctr; fromRun makes them the run's.
func (q *queue) from(idx int32, ctr *uint64) { q.ctr, q.hi = ctr, uint64(idx)<<originShift }
func (q *queue) fromRun()                    { q.ctr, q.hi = nil, 0 }

const (
	bucketShift = 20 // 1.05 ms buckets
	ringSize    = 1024
)

// before reports whether a fires before b.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push schedules e, stamping its sequence number.
func (q *queue) push(e event) {
	if q.ctr == nil {
		q.seq++
		e.seq = runOrigin<<originShift | q.seq
	} else {
		*q.ctr++
		e.seq = q.hi | *q.ctr
	}
	if q.win.on && e.at < q.win.end {
		if e.to != q.win.node || !nodeLocal(e.kind) {
			panic(fmt.Sprintf("sim: %s event for node %d due at %d pushed in node %d's window ending at %d (the lookahead is wrong)",
				e.kind, e.to, e.at, q.win.node, q.win.end))
		}
		q.win.local.push(e)
		return
	}
	if q.out != nil {
		*q.out = append(*q.out, e)
		return
	}
	q.put(e)
}

// put schedules e, whose seq is stamped.
func (q *queue) put(e event) {
	b := e.at >> bucketShift
	switch {
	case b <= q.curB:
		q.insertCur(e)
	case b < q.curB+ringSize:
		q.toRing(e)
	default:
		q.far.push(e)
	}
}

// insertCur puts e, which fires in the current bucket or before it, in
// its place among the current bucket's queued events.
func (q *queue) insertCur(e event) {
	c := q.cur
	lo, hi := q.r, len(c)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(&c[m], &e) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == q.r && q.r > 0 { // first in line: reuse a popped slot
		q.r--
		c[q.r] = e
		return
	}
	q.cur = append(c, event{})
	copy(q.cur[lo+1:], q.cur[lo:])
	q.cur[lo] = e
}

// len returns the number of scheduled events.
func (q *queue) len() int { return len(q.cur) - q.r + q.inRing + len(q.far.h) }

// nextAt returns when the earliest event fires. The queue must not be
// empty.
func (q *queue) nextAt() int64 {
	q.fill()
	return q.cur[q.r].at
}

// peek returns the earliest event, which stays queued. The queue must
// not be empty.
func (q *queue) peek() *event {
	q.fill()
	return &q.cur[q.r]
}

// pop removes and returns the earliest event. The queue must not be empty.
func (q *queue) pop() event {
	q.fill()
	e := q.cur[q.r]
	q.cur[q.r] = event{} // drop the payload reference
	q.r++
	return e
}

// fill makes the current bucket non-empty unless the queue is empty:
// it moves to the next non-empty bucket, bringing the heap's events that
// the window now reaches into their buckets, and sorts it.
func (q *queue) fill() {
	if q.r < len(q.cur) {
		return
	}
	if q.inRing == 0 {
		if len(q.far.h) == 0 {
			return
		}
		q.curB = q.far.h[0].at >> bucketShift
	} else {
		q.curB += int64(q.nextUsed())
	}
	for len(q.far.h) > 0 && q.far.h[0].at>>bucketShift < q.curB+ringSize {
		q.toRing(q.far.pop())
	}
	k := q.curB & (ringSize - 1)
	q.used[k/64] &^= 1 << (k % 64)
	b := q.ring[k]
	q.ring[k] = nil
	q.retire(q.cur)
	q.cur, q.r = b, 0
	q.inRing -= len(b)
	sortEvents(b)
}

// toRing appends e to its ring bucket, which the window covers.
func (q *queue) toRing(e event) {
	if q.ring == nil {
		q.ring = make([][]event, ringSize)
	}
	k := (e.at >> bucketShift) & (ringSize - 1)
	if cap(q.ring[k]) == 0 {
		if n := len(q.spare); n > 0 {
			q.ring[k], q.spare = q.spare[n-1], q.spare[:n-1]
		}
	}
	q.ring[k] = append(q.ring[k], e)
	q.used[k/64] |= 1 << (k % 64)
	q.inRing++
}

// maxSpare bounds the spare arrays: about as many buckets start as end at
// steady state, so a few suffice.
const maxSpare = 16

// retire keeps the array of a drained current bucket (every slot zeroed
// by pop) for a bucket to come, unless it is much larger than the bucket
// it served: arrays move between buckets, and keeping the largest would
// let every one of the ring's buckets grow to the busiest bucket's size
// (170 MB at 10,000 nodes, against the events in flight that a heap of
// them holds).
func (q *queue) retire(c []event) {
	if cap(c) > 0 && len(q.spare) < maxSpare && cap(c) <= 2*len(c)+64 {
		q.spare = append(q.spare, c[:0])
	}
}

// nextUsed returns how many buckets after the current one the next
// non-empty ring bucket is. The ring must not be empty.
func (q *queue) nextUsed() int {
	start := int((q.curB + 1) & (ringSize - 1))
	w := start / 64
	word := q.used[w] &^ (1<<(start%64) - 1)
	for {
		if word != 0 {
			k := w*64 + bits.TrailingZeros64(word)
			return (k-start)&(ringSize-1) + 1
		}
		w = (w + 1) % len(q.used)
		word = q.used[w]
	}
}

// sortEvents sorts a bucket by (at, seq): a quicksort with the median of
// three as pivot, insertion sort below 24 events (most buckets, which come
// nearly in order), and slices.SortFunc if the quicksort goes too deep.
// It compares in place: slices.SortFunc copies two 56-byte events per
// comparison, which made a 2,000-event bucket cost more than a heap.
func sortEvents(s []event) {
	quickSortEvents(s, 2*bits.Len(uint(len(s))))
}

func quickSortEvents(s []event, depth int) {
	for len(s) > 24 {
		if depth == 0 {
			slices.SortFunc(s, func(a, b event) int {
				if before(&a, &b) {
					return -1
				}
				return 1
			})
			return
		}
		depth--
		// median of three to s[0], then partition s[1:] around it
		m, l := len(s)/2, len(s)-1
		if before(&s[m], &s[0]) {
			s[m], s[0] = s[0], s[m]
		}
		if before(&s[l], &s[m]) {
			s[l], s[m] = s[m], s[l]
			if before(&s[m], &s[0]) {
				s[m], s[0] = s[0], s[m]
			}
		}
		s[0], s[m] = s[m], s[0]
		i, j := 1, l
		for {
			for before(&s[i], &s[0]) {
				i++
			}
			for before(&s[0], &s[j]) {
				j--
			}
			if i >= j {
				break
			}
			s[i], s[j] = s[j], s[i]
			i++
			j--
		}
		s[0], s[j] = s[j], s[0]
		// recurse into the smaller side, loop on the larger
		if j < len(s)-j {
			quickSortEvents(s[:j], depth)
			s = s[j+1:]
		} else {
			quickSortEvents(s[j+1:], depth)
			s = s[:j]
		}
	}
	for i := 1; i < len(s); i++ {
		if !before(&s[i], &s[i-1]) {
			continue
		}
		e := s[i]
		j := i
		for j > 0 && before(&e, &s[j-1]) {
			s[j] = s[j-1]
			j--
		}
		s[j] = e
	}
}

// heap is a 4-ary min-heap of events ordered by (at, seq). Four children
// per node halve the depth of a binary heap, and sifting moves a hole
// instead of swapping. The zero value is an empty heap.
type heap struct {
	h []event
}

// push adds e, whose seq is already stamped.
func (q *heap) push(e event) {
	q.h = append(q.h, event{})
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &q.h[p]) {
			break
		}
		q.h[i] = q.h[p]
		i = p
	}
	q.h[i] = e
}

// pop removes and returns the earliest event. The heap must not be empty.
func (q *heap) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	last := q.h[n]
	q.h[n] = event{} // drop the payload reference
	q.h = q.h[:n]
	if n > 0 {
		q.h[q.siftHole(n, &last)] = last
	}
	return top
}

// siftHole walks the hole at the root down past every child that fires
// before e and returns where e belongs; n is the heap's length.
func (q *heap) siftHole(n int, e *event) int {
	h := q.h
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			return i
		}
		m := c
		end := min(c+4, n)
		for k := c + 1; k < end; k++ {
			if before(&h[k], &h[m]) {
				m = k
			}
		}
		if !before(&h[m], e) {
			return i
		}
		h[i] = h[m]
		i = m
	}
}
