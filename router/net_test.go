package router

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// testNet wires Routers together in memory: every Send is packed with
// rpc.Pack and handed to the receiver's HandlePayload, in FIFO order, with
// no latency; time advances only when the test says so. Before packing,
// filter (when set) may change a copy of each outgoing RPC, to make a
// router misbehave on the wire while its state stays honest.
type testNet struct {
	t       testing.TB
	now     time.Time
	rs      []*Router
	idx     map[peer.ID]int
	links   map[[2]int]bool
	queue   []envelope
	dline   []time.Time
	deliv   []map[string]int // per router: message id → deliveries
	hash    hash.Hash        // every output, in order, for determinism checks
	filter  func(from int, m *rpc.RPC)
	packBuf [][]byte
}

type envelope struct {
	from, to int
	payload  []byte
}

// newTestNet returns n routers with noSignConfig(i, seed), changed by mod
// when not nil.
func newTestNet(t testing.TB, n int, seed uint64, mod func(i int, c *Config)) *testNet {
	t.Helper()
	nt := &testNet{t: t, now: t0, idx: map[peer.ID]int{}, links: map[[2]int]bool{}, hash: sha256.New()}
	for i := 0; i < n; i++ {
		c := noSignConfig(i, seed)
		if mod != nil {
			mod(i, &c)
		}
		r, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		nt.rs = append(nt.rs, r)
		nt.idx[r.ID()] = i
		nt.dline = append(nt.dline, time.Time{})
		nt.deliv = append(nt.deliv, map[string]int{})
	}
	return nt
}

func link(i, j int) [2]int { return [2]int{min(i, j), max(i, j)} }

// connect adds a link: i dialled j (outbound at i, inbound at j).
func (nt *testNet) connect(i, j int) {
	if i == j || nt.links[link(i, j)] {
		return
	}
	nt.links[link(i, j)] = true
	nt.rs[i].AddPeer(nt.now, nt.rs[j].ID(), PeerOptions{Direction: Outbound, Record: []byte(fmt.Sprintf("addr-%d", j))})
	nt.drain(i)
	nt.rs[j].AddPeer(nt.now, nt.rs[i].ID(), PeerOptions{Direction: Inbound, Record: []byte(fmt.Sprintf("addr-%d", i))})
	nt.drain(j)
}

// disconnect removes the link between i and j on both sides.
func (nt *testNet) disconnect(i, j int) {
	if !nt.links[link(i, j)] {
		return
	}
	delete(nt.links, link(i, j))
	nt.rs[i].RemovePeer(nt.now, nt.rs[j].ID())
	nt.drain(i)
	nt.rs[j].RemovePeer(nt.now, nt.rs[i].ID())
	nt.drain(j)
}

// connectAll links every pair and runs the network; dials(i, j) says
// whether i dialled j (else j dialled i).
func (nt *testNet) connectAll(dials func(i, j int) bool) {
	for i := range nt.rs {
		for j := i + 1; j < len(nt.rs); j++ {
			if dials(i, j) {
				nt.connect(i, j)
			} else {
				nt.connect(j, i)
			}
		}
	}
	nt.run()
}

// connectRandom gives every router about degree links: a ring (so the
// graph is connected) plus random chords.
func (nt *testNet) connectRandom(degree int, rng *rand.Rand) {
	n := len(nt.rs)
	for i := 0; i < n; i++ {
		nt.connect(i, (i+1)%n)
	}
	for i := 0; i < n; i++ {
		for k := 0; k < degree/2-1; k++ {
			nt.connect(i, rng.IntN(n))
		}
	}
}

// drain takes router i's output: sends are filtered, packed and queued,
// deliveries counted, everything hashed. It returns the output's events,
// valid until router i's next Ready.
func (nt *testNet) drain(i int) []Event {
	out := nt.rs[i].Ready()
	fmt.Fprintf(nt.hash, "R%d %d\n", i, out.Deadline.UnixNano())
	for k := range out.Sends {
		s := out.Sends[k] // a shallow copy: filter may reslice fields
		to, ok := nt.idx[s.To]
		if !ok {
			nt.t.Fatalf("router %d sends to unknown %v", i, s.To)
		}
		if nt.filter != nil {
			nt.filter(i, &s.RPC)
		}
		nt.packBuf = rpc.Pack(nt.packBuf[:0], &s.RPC, 1400)
		for _, p := range nt.packBuf {
			nt.hash.Write(p)
			nt.queue = append(nt.queue, envelope{from: i, to: to, payload: slices.Clone(p)})
		}
	}
	for _, d := range out.Deliveries {
		fmt.Fprintf(nt.hash, "D %x %v\n", d.ID, d.Local)
		nt.deliv[i][d.ID]++
	}
	for _, e := range out.Events {
		fmt.Fprintf(nt.hash, "E %v %x %s %v %d\n", e.Kind, e.Peer[:4], e.Topic, e.Cause, len(e.PX))
	}
	nt.dline[i] = out.Deadline
	return out.Events
}

// run delivers queued payloads until none are left; payloads on links
// that are gone are lost.
func (nt *testNet) run() {
	for len(nt.queue) > 0 {
		e := nt.queue[0]
		nt.queue = nt.queue[1:]
		if !nt.links[link(e.from, e.to)] {
			continue
		}
		if err := nt.rs[e.to].HandlePayload(nt.now, nt.rs[e.from].ID(), e.payload); err != nil && !errors.Is(err, ErrGraylisted) {
			nt.t.Fatalf("router %d: payload from %d: %v", e.to, e.from, err)
		}
		nt.drain(e.to)
	}
}

// step advances time by d, ticks every router whose deadline has come
// and runs the network. It returns the events of router watch's tick
// (none when watch is -1 or did not tick).
func (nt *testNet) step(d time.Duration, watch int) []Event {
	nt.now = nt.now.Add(d)
	var evs []Event
	for i, r := range nt.rs {
		if !nt.dline[i].IsZero() && !nt.now.Before(nt.dline[i]) {
			r.Tick(nt.now)
			if e := nt.drain(i); i == watch {
				evs = slices.Clone(e)
			}
		}
	}
	nt.run()
	return evs
}

// advance moves time forward by d in steps.
func (nt *testNet) advance(d, step time.Duration) {
	for end := nt.now.Add(d); nt.now.Before(end); {
		nt.step(step, -1)
	}
}

// joinAll makes every router join topic.
func (nt *testNet) joinAll(topic string) {
	for i, r := range nt.rs {
		if err := r.Join(nt.now, topic); err != nil {
			nt.t.Fatal(err)
		}
		nt.drain(i)
	}
	nt.run()
}

// publish makes router i publish msg(topic, seq, size) and returns its id;
// the network is not run.
func (nt *testNet) publish(i int, topic string, seq uint64, size int) string {
	id, err := nt.rs[i].Publish(nt.now, topic, msg(topic, seq, size).Data)
	if err != nil {
		nt.t.Fatal(err)
	}
	nt.drain(i)
	return id
}

// checkMeshBounds fails unless every router's mesh for topic has between
// lo and hi peers.
func (nt *testNet) checkMeshBounds(topic string, lo, hi int) {
	nt.t.Helper()
	for i, r := range nt.rs {
		if n := len(r.Mesh(topic)); n < lo || n > hi {
			nt.t.Errorf("router %d: mesh of %d peers, want [%d,%d]", i, n, lo, hi)
		}
	}
}

// checkDelivered fails unless every router (but those in skip) had each
// of ids delivered exactly once.
func (nt *testNet) checkDelivered(what string, ids []string, skip ...int) {
	nt.t.Helper()
	for i := range nt.rs {
		if slices.Contains(skip, i) {
			continue
		}
		for k, id := range ids {
			if n := nt.deliv[i][id]; n != 1 {
				nt.t.Fatalf("router %d: %s %d (%x) delivered %d times", i, what, k, id, n)
			}
		}
	}
}
