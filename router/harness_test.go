package router

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// testNet wires Routers together in memory: every Send is packed with
// rpc.Pack and handed to the receiver's HandlePayload, in FIFO order, with
// no latency; time advances only when the test says so.
type testNet struct {
	t       testing.TB
	now     time.Time
	rs      []*Router
	idx     map[peer.ID]int
	links   map[[2]int]bool
	queue   []envelope
	dline   []time.Time
	deliv   []map[string]int // per router: message id → deliveries
	events  [][]Event        // per router, when keepEvents
	pending [][]ValidationRequest
	hash    hash.Hash // every output, in order, for determinism checks
	keepEv  bool
	packBuf [][]byte
}

type envelope struct {
	from, to int
	payload  []byte
}

var t0 = time.Unix(1_700_000_000, 0).UTC()

// testID returns a deterministic peer ID for index i.
func testID(i int) peer.ID {
	var id peer.ID
	binary.BigEndian.PutUint64(id[:], uint64(i)+1)
	sum := sha256.Sum256(id[:8])
	copy(id[8:], sum[:24])
	return id
}

// cheapID is a message id function for StrictNoSign tests: the data's
// first 8 bytes.
func cheapID(dst []byte, m *rpc.Message) []byte {
	if len(m.Data) < 8 {
		return append(dst, m.Data...)
	}
	return append(dst, m.Data[:8]...)
}

func noSignConfig(i int, seed uint64) Config {
	return Config{
		ID:              testID(i),
		Params:          DefaultParams(),
		SignaturePolicy: StrictNoSign,
		AppendMessageID: cheapID,
		Rand:            rand.New(rand.NewPCG(seed, uint64(i))),
	}
}

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
		nt.events = append(nt.events, nil)
		nt.pending = append(nt.pending, nil)
	}
	return nt
}

// connect adds a link: i dialled j (outbound at i, inbound at j).
func (nt *testNet) connect(i, j int) {
	if i == j || nt.links[[2]int{min(i, j), max(i, j)}] {
		return
	}
	nt.links[[2]int{min(i, j), max(i, j)}] = true
	nt.rs[i].AddPeer(nt.now, nt.rs[j].ID(), PeerOptions{Direction: Outbound, Record: []byte(fmt.Sprintf("addr-%d", j))})
	nt.drain(i)
	nt.rs[j].AddPeer(nt.now, nt.rs[i].ID(), PeerOptions{Direction: Inbound, Record: []byte(fmt.Sprintf("addr-%d", i))})
	nt.drain(j)
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

// drain takes router i's output: sends are packed and queued, deliveries
// counted, everything hashed.
func (nt *testNet) drain(i int) {
	out := nt.rs[i].Ready()
	fmt.Fprintf(nt.hash, "R%d %d\n", i, out.Deadline.UnixNano())
	for k := range out.Sends {
		s := &out.Sends[k]
		to, ok := nt.idx[s.To]
		if !ok {
			nt.t.Fatalf("router %d sends to unknown %v", i, s.To)
		}
		nt.packBuf = rpc.Pack(nt.packBuf[:0], &s.RPC, 1400)
		for _, p := range nt.packBuf {
			nt.hash.Write(p)
			nt.queue = append(nt.queue, envelope{from: i, to: to, payload: append([]byte(nil), p...)})
		}
	}
	for _, d := range out.Deliveries {
		fmt.Fprintf(nt.hash, "D %x %v\n", d.ID, d.Local)
		nt.deliv[i][d.ID]++
	}
	for _, e := range out.Events {
		fmt.Fprintf(nt.hash, "E %v %x %s %v %d\n", e.Kind, e.Peer[:4], e.Topic, e.Cause, len(e.PX))
		if nt.keepEv {
			nt.events[i] = append(nt.events[i], e)
		}
	}
	nt.pending[i] = append(nt.pending[i], out.Validations...)
	nt.dline[i] = out.Deadline
}

// run delivers queued payloads until none are left.
func (nt *testNet) run() {
	for len(nt.queue) > 0 {
		e := nt.queue[0]
		nt.queue = nt.queue[1:]
		if !nt.links[[2]int{min(e.from, e.to), max(e.from, e.to)}] {
			continue
		}
		if err := nt.rs[e.to].HandlePayload(nt.now, nt.rs[e.from].ID(), e.payload); err != nil && !errors.Is(err, ErrGraylisted) {
			nt.t.Fatalf("router %d: payload from %d: %v", e.to, e.from, err)
		}
		nt.drain(e.to)
	}
}

// advance moves time forward by d in steps, ticking every router whose
// deadline has come, and running the network after each step.
func (nt *testNet) advance(d, step time.Duration) {
	end := nt.now.Add(d)
	for nt.now.Before(end) {
		nt.now = nt.now.Add(step)
		for i, r := range nt.rs {
			if !nt.dline[i].IsZero() && !nt.now.Before(nt.dline[i]) {
				r.Tick(nt.now)
				nt.drain(i)
			}
		}
		nt.run()
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

// publish makes router i publish a message whose first 8 bytes are seq.
func (nt *testNet) publish(i int, topic string, seq uint64, size int) string {
	data := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(data, seq)
	id, err := nt.rs[i].Publish(nt.now, topic, data)
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

// answerValidations answers every pending validation with res.
func (nt *testNet) answerValidations(res validator.Result) {
	for i, r := range nt.rs {
		vs := nt.pending[i]
		nt.pending[i] = nil
		for _, v := range vs {
			r.ValidationDone(nt.now, v.ID, res)
			nt.drain(i)
		}
	}
	nt.run()
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
	for i := range nt.rs {
		missing := 0
		for _, id := range ids {
			switch nt.deliv[i][id] {
			case 1:
			case 0:
				missing++
			default:
				t.Fatalf("router %d: message %x delivered %d times", i, id, nt.deliv[i][id])
			}
		}
		if missing > 0 {
			t.Errorf("router %d: %d of %d messages not delivered", i, missing, msgs)
		}
	}
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
	for i := range nt.rs {
		for _, id := range ids {
			if nt.deliv[i][id] != 1 {
				t.Fatalf("router %d: message %x delivered %d times", i, id, nt.deliv[i][id])
			}
		}
		if d := nt.rs[i].Stats().Drops[DropBadSignature]; d != 0 {
			t.Fatalf("router %d rejected %d signatures", i, d)
		}
	}
}

// disconnect removes the link between i and j on both sides.
func (nt *testNet) disconnect(i, j int) {
	k := [2]int{min(i, j), max(i, j)}
	if !nt.links[k] {
		return
	}
	delete(nt.links, k)
	nt.rs[i].RemovePeer(nt.now, nt.rs[j].ID())
	nt.drain(i)
	nt.rs[j].RemovePeer(nt.now, nt.rs[i].ID())
	nt.drain(j)
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
		for i := range nt.rs {
			if nt.deliv[i][id] != 1 {
				t.Fatalf("router %d: post-churn message %d delivered %d times", i, k, nt.deliv[i][id])
			}
		}
	}
	for i, r := range nt.rs {
		for _, q := range r.Mesh("t") {
			if !nt.links[[2]int{min(i, nt.idx[q]), max(i, nt.idx[q])}] {
				t.Fatalf("router %d keeps disconnected peer %d in its mesh", i, nt.idx[q])
			}
		}
	}
}
