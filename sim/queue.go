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

// queue is a binary min-heap of events ordered by (at, seq); seq is the
// insertion counter, so ties break in insertion order and a run is
// deterministic. The zero value is an empty queue.
type queue struct {
	h   []event
	seq uint64
}

func (q *queue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push schedules e, stamping its sequence number.
func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// len returns the number of scheduled events.
func (q *queue) len() int { return len(q.h) }

// pop removes and returns the earliest event. The queue must not be empty.
func (q *queue) pop() event {
	e := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = event{} // drop the payload reference
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return e
}
