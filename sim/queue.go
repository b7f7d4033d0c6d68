package sim

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
)

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

// queue is a 4-ary min-heap of events ordered by (at, seq); seq is the
// insertion counter, so ties break in insertion order and a run is
// deterministic. The order is total (seq is unique), so the pop sequence
// does not depend on the heap's shape: four children per node halve the
// depth of a binary heap, and sifting moves a hole instead of swapping,
// which matters at the millions of 56-byte events a large run keeps. The
// zero value is an empty queue.
type queue struct {
	h   []event
	seq uint64
}

// before reports whether a fires before b.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push schedules e, stamping its sequence number.
func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
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

// len returns the number of scheduled events.
func (q *queue) len() int { return len(q.h) }

// pop removes and returns the earliest event. The queue must not be empty.
func (q *queue) pop() event {
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
func (q *queue) siftHole(n int, e *event) int {
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
