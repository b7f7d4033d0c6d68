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
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
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
	// zone and rtt, when set, place router j for router i at connect:
	// PeerOptions.Zone and SetRTT.
	zone func(j int) string
	rtt  func(i, j int) time.Duration
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
	nt.addPeer(i, j, Outbound)
	nt.addPeer(j, i, Inbound)
}

// addPeer adds router j to router i, placed when the net has zones or
// RTTs.
func (nt *testNet) addPeer(i, j int, dir Direction) {
	opts := PeerOptions{Direction: dir, Record: []byte(fmt.Sprintf("addr-%d", j))}
	if nt.zone != nil {
		opts.Zone = nt.zone(j)
	}
	nt.rs[i].AddPeer(nt.now, nt.rs[j].ID(), opts)
	if nt.rtt != nil {
		nt.rs[i].SetRTT(nt.now, nt.rs[j].ID(), nt.rtt(i, j))
	}
	nt.drain(i)
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

// runHarness is the 100-router scenario; it returns the hash of all
// outputs.
func runHarness(t testing.TB, seed uint64, routers, msgs int) []byte {
	nt := newTestNet(t, routers, seed, nil)
	rng := rand.New(rand.NewPCG(seed, 99))
	nt.connectRandom(20, rng)
	nt.joinAll("t")
	nt.advance(5*time.Second, 100*time.Millisecond)
	p := DefaultParams()
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	ids := make([]string, msgs)
	for k := 0; k < msgs; k++ {
		ids[k] = nt.publish(rng.IntN(routers), "t", uint64(k), 256)
		nt.run()
		if k%20 == 19 {
			nt.advance(100*time.Millisecond, 100*time.Millisecond)
		}
	}
	nt.advance(3*time.Second, 100*time.Millisecond)
	nt.checkDelivered("message", ids)
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	return nt.hash.Sum(nil)
}

func TestHarness100Routers(t *testing.T) {
	msgs := 1000
	if testing.Short() || raceOn {
		msgs = 200 // the full 1000 run without -race
	}
	runHarness(t, 1, 100, msgs)
}

func TestDeterminism(t *testing.T) {
	a := runHarness(t, 7, 30, 100)
	b := runHarness(t, 7, 30, 100)
	c := runHarness(t, 8, 30, 100)
	if string(a) != string(b) {
		t.Fatal("same seed, same inputs: outputs differ")
	}
	if string(a) == string(c) {
		t.Fatal("different seeds gave identical outputs; the hash does not see randomness")
	}
}

// TestHarnessStrictSign runs a small network under the default policy:
// signed messages with author ‖ seqno ids travel through Pack and Decode
// and verify everywhere.
func TestHarnessStrictSign(t *testing.T) {
	nt := newTestNet(t, 12, 5, func(i int, c *Config) {
		id, err := peer.IdentityFromSeed(append(make([]byte, 31), byte(i)))
		if err != nil {
			t.Fatal(err)
		}
		c.SignaturePolicy, c.Identity, c.ID, c.AppendMessageID = StrictSign, id, peer.ID{}, nil
	})
	nt.connectRandom(6, rand.New(rand.NewPCG(5, 5)))
	nt.joinAll("t")
	nt.advance(3*time.Second, 100*time.Millisecond)
	var ids []string
	for k := 0; k < 20; k++ {
		id, err := nt.rs[k%12].Publish(nt.now, "t", []byte("same payload every time"))
		if err != nil {
			t.Fatal(err)
		}
		nt.drain(k % 12)
		nt.run()
		ids = append(ids, id)
	}
	nt.checkDelivered("message", ids)
	for i := range nt.rs {
		st := nt.rs[i].Stats()
		if d := st.Drops[DropBadSignature] + st.Drops[DropMissingSignature] + st.Drops[DropUnexpectedSignature]; d != 0 {
			t.Fatalf("router %d rejected %d signatures", i, d)
		}
	}
}

// TestHarnessChurn drops and adds links every 500 ms while messages flow:
// once churn stops and a heartbeat passes, meshes are back in [Dlo, Dhi]
// (every router keeps enough topic peers), and every message published
// after the churn reaches everyone.
func TestHarnessChurn(t *testing.T) {
	const n = 40
	nt := newTestNet(t, n, 11, nil)
	rng := rand.New(rand.NewPCG(11, 11))
	nt.connectRandom(16, rng)
	nt.joinAll("t")
	nt.advance(3*time.Second, 100*time.Millisecond)
	for round := 0; round < 20; round++ {
		for k := 0; k < 4; k++ {
			i, j := rng.IntN(n), rng.IntN(n)
			if i != j && (i+1)%n != j && (j+1)%n != i { // keep the ring
				nt.disconnect(i, j)
			}
			nt.connect(rng.IntN(n), rng.IntN(n))
		}
		nt.run()
		nt.publish(rng.IntN(n), "t", uint64(round), 64)
		nt.run()
		nt.advance(500*time.Millisecond, 100*time.Millisecond)
	}
	nt.advance(2*time.Second, 100*time.Millisecond)
	p := DefaultParams()
	nt.checkMeshBounds("t", p.Dlo, p.Dhi)
	for k := 0; k < 20; k++ {
		id := nt.publish(rng.IntN(n), "t", uint64(1000+k), 64)
		nt.run()
		nt.checkDelivered("post-churn message", []string{id})
	}
	for i, r := range nt.rs {
		for _, q := range r.Mesh("t") {
			if !nt.links[link(i, nt.idx[q])] {
				t.Fatalf("router %d keeps disconnected peer %d in its mesh", i, nt.idx[q])
			}
		}
	}
}

// rejectBad is a validator rejecting messages whose data byte 8 is 0xBA.
func rejectBad(_ peer.ID, m *rpc.Message) validator.Result {
	if len(m.Data) > 8 && m.Data[8] == 0xBA {
		return validator.Reject
	}
	return validator.Accept
}

// TestScoredNetworkShunsInvalidPublisher runs 30 routers with the real
// Scorer (score.DefaultParams): honest traffic is delivered everywhere, and
// a router publishing invalid messages is pruned from every mesh, then
// graylisted.
func TestScoredNetworkShunsInvalidPublisher(t *testing.T) {
	const n, bad = 30, 0
	scored := withScorer(t, score.DefaultParams("t"), score.DefaultThresholds())
	nt := newTestNet(t, n, 3, func(_ int, c *Config) { scored(c) })
	for i := range nt.rs {
		nt.rs[i].SetValidator("t", TopicValidator{Sync: rejectBad})
	}
	rng := rand.New(rand.NewPCG(3, 3))
	nt.connectRandom(10, rng)
	nt.joinAll("t")
	nt.advance(5*time.Second, 100*time.Millisecond)
	nt.checkMeshBounds("t", DefaultParams().Dlo, DefaultParams().Dhi)
	var honest []string
	for k := 0; k < 40; k++ {
		data := make([]byte, 64)
		data[0], data[7], data[8] = 0xEE, byte(k), 0xBA
		if _, err := nt.rs[bad].Publish(nt.now, "t", data); err == nil {
			t.Fatal("the bad router's own validator should refuse it; publish raw instead")
		}
		nt.drain(bad)
		// Bypass the bad router's own validator: it sends the invalid
		// message straight to its peers, as a malicious node would.
		for _, q := range nt.rs[bad].Peers() {
			j := nt.idx[q]
			nt.rs[j].HandleRPC(nt.now, nt.rs[bad].ID(), pub(rpc.Message{Topic: "t", Data: data}))
			nt.drain(j)
		}
		nt.run()
		honest = append(honest, nt.publish(1+k%(n-1), "t", uint64(k), 64))
		nt.run()
		nt.advance(200*time.Millisecond, 100*time.Millisecond)
	}
	badID := nt.rs[bad].ID()
	for i := 1; i < n; i++ {
		if slices.Contains(nt.rs[i].Mesh("t"), badID) {
			t.Errorf("router %d keeps the invalid publisher in its mesh", i)
		}
	}
	nt.checkDelivered("honest message", honest, bad)
	graylisted := uint64(0)
	for i := 1; i < n; i++ {
		graylisted += nt.rs[i].Stats().Drops[DropGraylisted]
	}
	if graylisted == 0 {
		t.Error("the invalid publisher was never graylisted")
	}
}
