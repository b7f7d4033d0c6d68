package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/sim"
	"github.com/gwyh/gwyh/validator"
)

// clusterSpec describes an in-process cluster on 127.0.0.1, shared by
// demo and bench.
type clusterSpec struct {
	nodes     int
	degree    int // each node dials this many random others
	d         int // GossipSub D
	heartbeat time.Duration
	sign      router.SignaturePolicy
	seed      uint64
	topic     string
	msgs      int  // messages expected, to size the delivery table
	wait      bool // Publish waits for room (backpressure)
	// tune, when set, changes the nodes' GossipSub parameters (bench's
	// -choke and -idontwant flags).
	tune func(*router.Params)
	// validate: every node validates the topic's messages with an
	// accept-all validator on its worker pool (asynchronously, as a
	// Validator runs by default).
	validate bool
	// gro: the nodes' transports read with UDP GRO
	// (transport.Options.CoalesceReceives).
	gro bool
	// scoring: every node scores its peers with the simulator's score
	// parameters for the topic (sim.ScoreParams) and
	// score.DefaultThresholds (bench -scoring).
	scoring bool
	// hops: the recorder keeps, per (message, node), the node its first
	// copy came from, for the hop count histogram (recorder.hopHist; 4
	// more bytes per message and node).
	hops bool
}

// cluster is a running in-process cluster with one subscriber goroutine per
// node that records every delivery.
type cluster struct {
	spec    clusterSpec
	nodes   []*node.Node
	handles []*node.TopicHandle
	subs    []*node.Subscription
	rec     *recorder
	index   map[peer.ID]int // node index by ID; read only once started
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

// gossipParams are the defaults with D (and what must follow it) changed.
func gossipParams(d int, hb time.Duration) router.Params {
	p := router.DefaultParams()
	p.D = d
	p.Dlo = min(p.Dlo, d)
	p.Dhi = max(p.Dhi, d)
	p.Dscore = min(p.Dscore, d)
	p.Dout = min(p.Dout, d/2, max(p.Dlo-1, 0))
	p.HeartbeatInterval = hb
	return p
}

// startCluster starts the nodes, connects each to degree random others
// (seeded), joins the topic everywhere and starts the recorders.
func startCluster(ctx context.Context, s clusterSpec) (*cluster, error) {
	c := &cluster{spec: s, rec: newRecorder(s.msgs, s.nodes), index: make(map[peer.ID]int, s.nodes)}
	if s.hops {
		c.rec.from = make([]atomic.Uint32, s.msgs*s.nodes)
	}
	for i := range s.nodes {
		cfg := node.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		cfg.Gossip = gossipParams(s.d, s.heartbeat)
		if s.tune != nil {
			s.tune(&cfg.Gossip)
		}
		cfg.SignaturePolicy = s.sign
		cfg.Seed = s.seed*1_000_003 + uint64(i) + 1
		cfg.PeersLow = s.degree // the bench fixes the topology
		cfg.SubscriptionBuffer = 8192
		cfg.Transport.CoalesceReceives = s.gro
		if s.scoring {
			sp := sim.ScoreParams(s.topic)
			cfg.Score, cfg.Thresholds = &sp, score.DefaultThresholds()
		}
		seed := make([]byte, 32)
		binary.LittleEndian.PutUint64(seed, s.seed)
		binary.LittleEndian.PutUint64(seed[8:], uint64(i))
		id, err := peer.IdentityFromSeed(seed)
		if err != nil {
			return nil, err
		}
		cfg.Identity = id
		n, err := node.New(cfg)
		if err != nil {
			c.close()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
		c.index[n.ID()] = i
	}
	if err := c.connect(ctx); err != nil {
		c.close()
		return nil, err
	}
	if err := c.join(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// connect makes each node dial degree random others, in parallel.
func (c *cluster) connect(ctx context.Context) error {
	dials := benchDials(len(c.nodes), c.spec.degree, c.spec.seed)
	errs := make(chan error, len(dials))
	var wg sync.WaitGroup
	for _, d := range dials {
		wg.Add(1)
		go func(n, to *node.Node) {
			defer wg.Done()
			if _, err := n.Connect(ctx, to.Addr().String()); err != nil {
				errs <- err
			}
		}(c.nodes[d[0]], c.nodes[d[1]])
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// benchDials returns the cluster's dials (dialer, dialled): each of n
// nodes dials degree distinct random others (seeded). Two nodes may
// dial each other: they then share one session.
func benchDials(n, degree int, seed uint64) [][2]int {
	rng := rand.New(rand.NewPCG(seed, 7))
	var dials [][2]int
	for i := range n {
		others := rng.Perm(n)
		k := 0
		for _, j := range others {
			if j == i || k == degree {
				continue
			}
			k++
			dials = append(dials, [2]int{i, j})
		}
	}
	return dials
}

// join joins the topic on every node and starts one recorder per node.
func (c *cluster) join() error {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for i, n := range c.nodes {
		opts := node.TopicOptions{WaitForRoom: c.spec.wait}
		if c.spec.validate {
			opts.Validator = acceptAll
		}
		h, err := n.JoinTopic(c.spec.topic, opts)
		if err != nil {
			return err
		}
		sub, err := h.Subscribe(0)
		if err != nil {
			return err
		}
		c.handles, c.subs = append(c.handles, h), append(c.subs, sub)
		c.wg.Add(1)
		go c.record(ctx, i, n.ID(), sub)
	}
	return nil
}

// record reads one node's deliveries until the cluster closes.
func (c *cluster) record(ctx context.Context, i int, self peer.ID, sub *node.Subscription) {
	defer c.wg.Done()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if m.Local || len(m.Data) < headerSize {
			continue
		}
		seq := binary.LittleEndian.Uint64(m.Data)
		sent := int64(binary.LittleEndian.Uint64(m.Data[8:]))
		if c.rec.delivered(i, seq, time.Duration(time.Now().UnixNano()-sent)) && c.rec.from != nil {
			if j, ok := c.index[m.ReceivedFrom]; ok {
				c.rec.from[int(seq)*c.rec.nodes+i].Store(uint32(j) + 1)
			}
		}
	}
}

// waitMeshes waits until every node's mesh has at least want peers.
func (c *cluster) waitMeshes(ctx context.Context, want int) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ok := true
		for _, h := range c.handles {
			if len(h.Mesh()) < want {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("meshes did not form: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// headerSize is the bench header in every payload: sequence number and
// send time (Unix ns), little-endian.
const headerSize = 16

// payload builds message seq of size bytes (at least headerSize).
func payload(seq uint64, size int) []byte {
	b := make([]byte, max(size, headerSize))
	binary.LittleEndian.PutUint64(b, seq)
	binary.LittleEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	return b
}

// meshHist returns how many nodes have each mesh degree in the topic
// (index = degree).
func (c *cluster) meshHist() []int {
	var h []int
	for _, th := range c.handles {
		d := len(th.Mesh())
		for len(h) <= d {
			h = append(h, 0)
		}
		h[d]++
	}
	return h
}

// totals sums the nodes' counters.
type totals struct {
	duplicates, bytesOut, packetsOut uint64
	packetsIn                        uint64
	writeBatches, readBatches        uint64 // socket batch calls (transport Stats)
	chokes, unchokes                 uint64 // CHOKEs and UNCHOKEs sent
	chokedIHave                      uint64 // ids announced to peers that choked us instead of sent
	drops                            map[string]uint64
	lost                             uint64
}

func (c *cluster) totals() totals {
	t := totals{drops: map[string]uint64{}}
	for _, n := range c.nodes {
		st, err := n.Stats()
		if err != nil {
			continue
		}
		t.duplicates += st.Router.Duplicates
		t.chokes += st.Router.ChokeSent
		t.unchokes += st.Router.UnchokeSent
		t.chokedIHave += st.Router.ChokedIHave
		t.bytesOut += st.Transport.BytesOut
		t.packetsOut += st.Transport.PacketsOut
		t.packetsIn += st.Transport.PacketsIn
		t.writeBatches += st.Transport.WriteBatches
		t.readBatches += st.Transport.ReadBatches
		for k, v := range st.Drops() {
			t.drops[k] += v
		}
	}
	for _, s := range c.subs {
		t.lost += s.Lost()
	}
	return t
}

// close closes every node in parallel and waits for the recorders.
func (c *cluster) close() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.Close() }()
	}
	wg.Wait()
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
}

// recorder counts first receipts per (message, node) and keeps their
// latencies: a message delivered to a node again (its id forgotten after
// the seen TTL, or published twice) is not counted twice. Its memory is
// allocated once, 4 bytes per (message, node) and a bit: it counts in
// the bench's RSS.
type recorder struct {
	nodes    int
	words    int             // bitset words per message: (nodes+63)/64
	got      []atomic.Uint64 // per message, a bit per node that received it
	counts   []atomic.Int32  // per message: nodes that received it
	complete atomic.Int64    // messages received by every node but the publisher
	total    atomic.Int64    // first receipts
	done     chan struct{}   // gets one value per completed message, if room
	// lat is, per (message, node) at seq×nodes+node, the first receipt's
	// latency in µs plus one (0: none yet).
	lat []atomic.Uint32
	// from, when not nil (clusterSpec.hops), is per (message, node) the
	// index of the node the first copy came from plus one (0: none yet).
	from []atomic.Uint32
}

func newRecorder(msgs, nodes int) *recorder {
	words := (nodes + 63) / 64
	return &recorder{
		nodes: nodes, words: words, got: make([]atomic.Uint64, msgs*words),
		counts: make([]atomic.Int32, msgs), done: make(chan struct{}, msgs+1),
		lat: make([]atomic.Uint32, msgs*nodes),
	}
}

// delivered records that node received message seq after lat; only the
// first receipt of each (message, node) counts, and delivered reports
// whether this was it.
func (r *recorder) delivered(node int, seq uint64, lat time.Duration) bool {
	if seq >= uint64(len(r.counts)) || node < 0 || node >= r.nodes {
		return false
	}
	bit := uint64(1) << (node % 64)
	if r.got[int(seq)*r.words+node/64].Or(bit)&bit != 0 {
		return false // a duplicate delivery
	}
	r.total.Add(1)
	r.lat[int(seq)*r.nodes+node].Store(uint32(min(max(lat.Microseconds(), 0), math.MaxUint32-1)) + 1)
	if int(r.counts[seq].Add(1)) == r.nodes-1 {
		r.complete.Add(1)
		select {
		case r.done <- struct{}{}:
		default:
		}
	}
	return true
}

// hopHist returns, over every message, how many first receipts took each
// number of hops from the message's publisher (publisher(seq)):
// hop(publisher) = 0 and a node's hop is one more than that of the node
// its first copy came from (recorder.from). A receipt whose chain does
// not lead back to the publisher (a sender that never recorded the
// message: impossible for a first copy, but the table comes from
// concurrent recorders) is left out. Nil without recorder.from.
func (r *recorder) hopHist(publisher func(seq int) int) []int64 {
	if r.from == nil {
		return nil
	}
	var hist []int64
	hops := make([]int32, r.nodes) // per node of one message: hop+1, 0 unknown, -1 on the stack
	var stack []int
	for seq := range r.counts {
		clear(hops)
		base := seq * r.nodes
		if pub := publisher(seq); pub >= 0 && pub < r.nodes {
			hops[pub] = 1
		}
		for n := range r.nodes {
			// Walk back to a node whose hop is known, then number the
			// chain forward; a loop or a dead end leaves it unknown.
			stack = stack[:0]
			at, ok := n, false
			for {
				if h := hops[at]; h != 0 {
					ok = h > 0
					break
				}
				f := r.from[base+at].Load()
				if f == 0 || int(f) > r.nodes {
					break
				}
				hops[at] = -1
				stack = append(stack, at)
				at = int(f) - 1
			}
			h := int32(0)
			if ok {
				h = hops[at]
			}
			for i := len(stack) - 1; i >= 0; i-- {
				if !ok {
					hops[stack[i]] = 0
					continue
				}
				h++
				hops[stack[i]] = h
				for len(hist) < int(h) {
					hist = append(hist, 0)
				}
				hist[h-1]++
			}
		}
	}
	return hist
}

// percentiles returns p50, p90, p99 and max of the latencies.
func (r *recorder) percentiles() (p50, p90, p99, mx time.Duration) {
	return r.percentilesOf(0, uint64(len(r.counts)))
}

// percentilesOf returns p50, p90, p99 and max of the latencies of
// messages lo..hi-1.
func (r *recorder) percentilesOf(lo, hi uint64) (p50, p90, p99, mx time.Duration) {
	hi = min(hi, uint64(len(r.counts)))
	if lo >= hi {
		return
	}
	var l []uint32
	for i := lo * uint64(r.nodes); i < hi*uint64(r.nodes); i++ {
		if v := r.lat[i].Load(); v != 0 {
			l = append(l, v-1)
		}
	}
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	at := func(q float64) time.Duration {
		return time.Duration(l[min(len(l)-1, int(q*float64(len(l))))]) * time.Microsecond
	}
	return at(0.50), at(0.90), at(0.99), time.Duration(l[len(l)-1]) * time.Microsecond
}

// samples returns the number of latency samples held.
func (r *recorder) samples() int {
	n := 0
	for i := range r.lat {
		if r.lat[i].Load() != 0 {
			n++
		}
	}
	return n
}

// peakRSSMB reads VmHWM from /proc/self/status (0 when unavailable).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// acceptAll is bench -validate's validator.
func acceptAll(context.Context, peer.ID, []byte) validator.Result { return validator.Accept }
