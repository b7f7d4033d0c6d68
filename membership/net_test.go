package membership

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// A deterministic in-memory network of Memberships on virtual time:
// deliveries with latency ± jitter and loss, crashes, stalls and
// partitions, every fault knob in tnet and everything from its seed.

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type tnode struct {
	i          int
	id         peer.ID
	m          *Membership
	crashed    bool
	stallUntil time.Time
	inDelay    time.Duration // extra delay of everything delivered to it
	gen        int
}

type tevent struct {
	at      time.Time
	seq     uint64
	node    int
	tick    bool
	gen     int
	from    peer.ID
	payload []byte
}

type theap []*tevent

func (h theap) Len() int { return len(h) }
func (h theap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h theap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *theap) Push(x any)   { *h = append(*h, x.(*tevent)) }
func (h *theap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type tnet struct {
	t       testing.TB
	now     time.Time
	rnd     *rand.Rand
	nodes   []*tnode
	byID    map[peer.ID]*tnode
	pq      theap
	seq     uint64
	latency time.Duration
	jitter  time.Duration
	loss    float64
	block   func(from, to int) bool // true: the link drops everything
	trace   []string
	events  [][]Event // per node
	onEvent func(at time.Time, node int, e Event)
}

func testID(i int) peer.ID {
	var id peer.ID
	id[0], id[1], id[31] = byte(i>>8), byte(i), 0xaa
	return id
}

// newNet starts n nodes (not yet joined) with params p and seed.
func newNet(t testing.TB, n int, seed uint64, p Params) *tnet {
	nt := &tnet{t: t, now: epoch, rnd: rand.New(rand.NewPCG(seed, 1)), byID: map[peer.ID]*tnode{},
		latency: 5 * time.Millisecond, events: make([][]Event, n)}
	for i := range n {
		nt.add(i, p, seed)
	}
	return nt
}

func (nt *tnet) add(i int, p Params, seed uint64) {
	m, err := New(Config{
		Self:   Member{ID: testID(i), Addr: fmt.Sprintf("10.0.%d.%d:7946", i/256, i%256), Zone: "z" + fmt.Sprint(i%3)},
		Params: p,
		Rand:   rand.New(rand.NewPCG(seed, uint64(i)+100)),
	})
	if err != nil {
		nt.t.Fatal(err)
	}
	nd := &tnode{i: i, id: testID(i), m: m}
	nt.nodes = append(nt.nodes, nd)
	nt.byID[nd.id] = nd
	nt.drain(nd)
}

// joinAll joins every node but the seed through the seed, staggered.
func (nt *tnet) joinAll(seed int) {
	for i, nd := range nt.nodes {
		if i != seed {
			nd.m.Join(nt.now, nt.nodes[seed].id, nt.nodes[seed].m.Self().Addr)
			nt.drain(nd)
		}
	}
}

func (nt *tnet) push(e *tevent) {
	nt.seq++
	e.seq = nt.seq
	heap.Push(&nt.pq, e)
}

// drain takes a node's Output: schedules deliveries and its next Tick.
func (nt *tnet) drain(nd *tnode) {
	for nd.m.HasReady() || true {
		out := nd.m.Ready()
		for _, s := range out.Sends {
			to := nt.byID[s.To]
			if to == nil || (nt.block != nil && nt.block(nd.i, to.i)) || (nt.loss > 0 && nt.rnd.Float64() < nt.loss) {
				continue
			}
			d := nt.latency + to.inDelay
			if nt.jitter > 0 {
				d += time.Duration(nt.rnd.Int64N(int64(2*nt.jitter))) - nt.jitter
			}
			nt.push(&tevent{at: nt.now.Add(d), node: to.i, from: nd.id, payload: append([]byte(nil), s.Payload...)})
		}
		for _, e := range out.Events {
			nt.events[nd.i] = append(nt.events[nd.i], e)
			nt.trace = append(nt.trace, fmt.Sprintf("%v n%d %v %d inc=%d", nt.now.Sub(epoch), nd.i, e.Kind, nt.byID[e.Member.ID].i, e.Member.Incarnation))
			if nt.onEvent != nil {
				nt.onEvent(nt.now, nd.i, e)
			}
		}
		nd.gen++
		at := out.Deadline
		if at.Before(nt.now) {
			at = nt.now
		}
		nt.push(&tevent{at: at, node: nd.i, tick: true, gen: nd.gen})
		nd.m.Advance()
		if !nd.m.HasReady() {
			return
		}
	}
}

// run processes events until now+d.
func (nt *tnet) run(d time.Duration) {
	until := nt.now.Add(d)
	for nt.pq.Len() > 0 {
		e := nt.pq[0]
		if e.at.After(until) {
			break
		}
		heap.Pop(&nt.pq)
		nt.now = e.at
		nd := nt.nodes[e.node]
		if nd.crashed || (e.tick && e.gen != nd.gen) {
			continue
		}
		if nt.now.Before(nd.stallUntil) {
			e2 := *e
			e2.at = nd.stallUntil
			nt.push(&e2)
			continue
		}
		if e.tick {
			nd.m.Tick(nt.now)
		} else if err := nd.m.HandlePayload(nt.now, e.from, e.payload); err != nil {
			nt.t.Fatalf("n%d: %v", nd.i, err)
		}
		nt.drain(nd)
	}
	nt.now = until
}

// stateAt returns node i's view of node j.
func (nt *tnet) stateAt(i, j int) (State, bool) {
	mb, ok := nt.nodes[i].m.Member(nt.nodes[j].id)
	return mb.State, ok
}

// countEvents counts events of kind about node j seen by all nodes.
func (nt *tnet) countEvents(k EventKind, j int) int {
	n := 0
	for _, evs := range nt.events {
		for _, e := range evs {
			if e.Kind == k && e.Member.ID == nt.nodes[j].id {
				n++
			}
		}
	}
	return n
}

// converged reports whether every live node sees every other live node
// alive.
func (nt *tnet) converged() bool {
	for _, a := range nt.nodes {
		if a.crashed {
			continue
		}
		for _, b := range nt.nodes {
			if b.crashed {
				continue
			}
			if st, ok := nt.stateAt(a.i, b.i); !ok || st != StateAlive {
				return false
			}
		}
	}
	return true
}

// testParams are LAN params with short push-pull for small test clusters.
func testParams() Params {
	p := LANParams()
	p.PushPullInterval = 10 * time.Second
	return p
}
