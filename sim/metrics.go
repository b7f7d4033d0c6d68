package sim

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// leaveGrace: when a node leaves, messages published less than this long
// ago that it has not received are not counted as missed.
const leaveGrace = 2 * time.Second

// maxViolations is how many invariant violations are kept verbatim.
const maxViolations = 10

// msgInfo is what the metrics know of one published message.
type msgInfo struct {
	at       int64 // planned publish time
	pub      int32 // publisher, -1 before publish
	expected int32
	got      int32
	measured bool
	topic    uint16 // index in simulator.topics
	targets  int32  // eclipse targets expected / reached (gotT)
	gotT     int32
}

// metrics accumulates a run's measurements.
type metrics struct {
	s         *simulator
	msgs      []msgInfo
	published int
	bits      []uint64 // delivered[msg*honest + node]
	// hops[msg*honest + node] is 1 + the hops the first copy travelled
	// from the publisher (0: not delivered, or unknown: it came from an
	// attacker or a node whose own count is unknown). hopHist counts the
	// measured messages' deliveries by hops.
	hops  []uint8
	zones int32
	// pubs[t]: topic t's publishers (Traffic.Publishers), nil for any
	// honest node.
	pubs [][]int32
	// Per topic, in runs with several (nil otherwise): duplicates at
	// honest routers.
	topicDups []uint64
	topicIdx  map[string]int

	tally
	// wireAtStart is wire when the first measured message was published
	// (window bytes: Result.WindowBytesPerMsgPerNode).
	wireAtStart uint64
	started     bool
	dups        uint64
	drops       [router.NumDropCauses]uint64

	scores []ScoreSample
	meshAS []float64 // attacker share of honest mesh slots, per sample
	// cost: what scoring costs (Result.ScoreFP*, ScoreFN*); nil without
	// scoring.
	cost *scoreCost
}

// tally is what node-local events add to the metrics: counters, and
// latencies and hops to sort or sum at the end. A window's workers each
// count in their own (worker), added to the run's after it (add), so that
// no two goroutines write one.
type tally struct {
	wire, msgWire, packets, attackerWire uint64
	crossWire                            uint64 // part of wire between nodes of different zones
	dropLoss, dropPartition, dropOffline uint64
	routerErrors, spamSent               uint64
	// attackDropped and attackKept: messages routed censor and degrade
	// attackers withheld and forwarded.
	attackDropped, attackKept uint64
	events                    [16]uint64

	hopHist []int64
	lat     []int32 // µs, measured messages
	// zoneLat[from*zones+to]: lat by publisher's and receiver's zone;
	// nil without Latency.Zones.
	zoneLat [][]int32
	// Per topic, in runs with several (nil otherwise): latencies of
	// measured messages (µs), message-field bytes honest nodes sent.
	topicLat  [][]int32
	topicWire []uint64

	violations   int
	violationLog []string
}

// newTally returns an empty tally for run s: per zone pair with
// Latency.Zones, per topic with several.
func (s *simulator) newTally() tally {
	var t tally
	if s.sc.Net.Latency.Zones != nil {
		z := s.sc.Net.Latency.numZones()
		t.zoneLat = make([][]int32, z*z)
	}
	if nt := len(s.topics); nt > 1 {
		t.topicLat, t.topicWire = make([][]int32, nt), make([]uint64, nt)
	}
	return t
}

// add adds o to t and empties o (keeping its arrays).
func (t *tally) add(o *tally) {
	t.wire += o.wire
	t.msgWire += o.msgWire
	t.packets += o.packets
	t.attackerWire += o.attackerWire
	t.crossWire += o.crossWire
	t.dropLoss += o.dropLoss
	t.dropPartition += o.dropPartition
	t.dropOffline += o.dropOffline
	t.routerErrors += o.routerErrors
	t.spamSent += o.spamSent
	t.attackDropped += o.attackDropped
	t.attackKept += o.attackKept
	addCounts(t.events[:], o.events[:])
	for len(t.hopHist) < len(o.hopHist) {
		t.hopHist = append(t.hopHist, 0)
	}
	addCounts(t.hopHist, o.hopHist)
	t.lat = append(t.lat, o.lat...)
	for i := range o.zoneLat {
		t.zoneLat[i] = append(t.zoneLat[i], o.zoneLat[i]...)
		o.zoneLat[i] = o.zoneLat[i][:0]
	}
	for i := range o.topicLat {
		t.topicLat[i] = append(t.topicLat[i], o.topicLat[i]...)
		o.topicLat[i] = o.topicLat[i][:0]
		t.topicWire[i] += o.topicWire[i]
	}
	t.violations += o.violations
	t.violationLog = appendUpTo(t.violationLog, o.violationLog, maxViolations)
	zl, tl, tw, lat, hh := o.zoneLat, o.topicLat, o.topicWire, o.lat[:0], o.hopHist[:0]
	clear(tw)
	*o = tally{zoneLat: zl, topicLat: tl, topicWire: tw, lat: lat, hopHist: hh, violationLog: o.violationLog[:0]}
}

// addCounts adds src to dst, element by element (len(dst) ≥ len(src)).
func addCounts[T uint64 | int64](dst, src []T) {
	for i, v := range src {
		dst[i] += v
	}
}

// appendUpTo appends src to dst while dst holds fewer than limit lines.
func appendUpTo(dst, src []string, limit int) []string {
	return append(dst, src[:min(len(src), max(0, limit-len(dst)))]...)
}

func newMetrics(s *simulator) *metrics {
	m := &metrics{s: s, zones: s.sc.Net.Latency.numZones(), tally: s.newTally()}
	if nt := len(s.topics); nt > 1 {
		m.topicDups = make([]uint64, nt)
		m.topicIdx = make(map[string]int, nt)
		for i, t := range s.topics {
			m.topicIdx[t.Name] = i
		}
	}
	if s.sc.Scoring {
		m.cost = newScoreCost(s)
	}
	return m
}

// planPublishes fills msgs, each topic's background and measured
// messages in publish-time order (a stable sort: ties keep topic order),
// picks the topics' fixed publishers and schedules the publishes.
func (m *metrics) planPublishes() {
	m.pubs = make([][]int32, len(m.s.topics))
	for ti := range m.s.topics {
		t := &m.s.topics[ti].Traffic
		if t.WarmRate > 0 {
			step := float64(time.Second) / t.WarmRate
			for at := float64(t.WarmStart); at < float64(t.Start); at += step {
				m.msgs = append(m.msgs, msgInfo{at: int64(at), pub: -1, topic: uint16(ti)})
			}
		}
		step := float64(time.Second) / t.Rate
		for i := range t.Messages {
			m.msgs = append(m.msgs, msgInfo{at: int64(t.Start) + int64(float64(i)*step), pub: -1, measured: true, topic: uint16(ti)})
		}
		m.pubs[ti] = m.s.publishers(ti)
	}
	if len(m.s.topics) > 1 {
		slices.SortStableFunc(m.msgs, func(a, b msgInfo) int { return cmp.Compare(a.at, b.at) })
	}
	for k := range m.msgs {
		m.s.q.push(event{at: m.msgs[k].at, kind: evPublish, arg: int32(k)})
	}
	m.bits = make([]uint64, (len(m.msgs)*m.s.honest+63)/64)
	m.hops = make([]uint8, len(m.msgs)*m.s.honest)
}

// publishers returns topic ti's fixed publishers: the first
// Traffic.Publishers of a shuffle (seeded by the run's seed and ti) of
// the honest nodes that may publish (mayPublish), as many as there are;
// under AttackEclipsePublishers, the attacked topic's are the targets
// themselves (the first honest nodes). Nil when Publishers is 0 (any
// honest node publishes).
func (s *simulator) publishers(ti int) []int32 {
	n := s.topics[ti].Traffic.Publishers
	if n == 0 {
		return nil
	}
	var cand []int32
	if ti == 0 && s.sc.Attack.Kind == AttackEclipsePublishers {
		for i := range int32(min(n, s.targets())) {
			cand = append(cand, i)
		}
		return cand
	}
	for i := range int32(s.honest) {
		if s.mayPublish(s.nodes[i]) {
			cand = append(cand, i)
		}
	}
	rng := rand.New(rand.NewPCG(s.seed, 0x9b1+uint64(ti)))
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	return cand[:min(n, len(cand))]
}

// canPublish reports whether n may publish now: online, not stalled,
// and allowed to by the attack (mayPublish).
func (s *simulator) canPublish(n *node) bool {
	return n.online && s.mayPublish(n) && !n.stalled(s.now)
}

// publish publishes message k in its topic: from a random online honest
// node, or, with fixed publishers, from one of them picked at random; when
// that one cannot publish (offline, stalled), from the next one of the
// topic's publisher list that can (wrapping around); a background message
// none of them can publish comes from a random node.
func (s *simulator) publish(k int) {
	s.m.published++
	mi := &s.m.msgs[k]
	topic := &s.topics[mi.topic]
	var pub *node
	if set := s.m.pubs[mi.topic]; set != nil {
		first := s.rng.IntN(len(set))
		for i := range set {
			if n := s.nodes[set[(first+i)%len(set)]]; s.canPublish(n) {
				pub = n
				break
			}
		}
	}
	// Any node publishes without fixed publishers; with them, background
	// messages too while none of them is up yet (scores learn from the
	// traffic, whoever sends it; measured messages never fall back).
	if set := s.m.pubs[mi.topic]; set == nil || (pub == nil && !mi.measured) {
		for tries := 0; tries < 64; tries++ {
			n := s.nodes[s.rng.IntN(s.publisherPool())]
			if s.canPublish(n) {
				pub = n
				break
			}
		}
	}
	if pub == nil {
		s.m.addViolation("message %d: no online honest publisher", k)
		return
	}
	data := make([]byte, topic.Traffic.Size)
	data[0] = validMarker
	binary.BigEndian.PutUint32(data[1:], uint32(k))
	binary.BigEndian.PutUint64(data[5:], s.seed)
	binary.BigEndian.PutUint64(data[13:], splitmix64(s.seed^uint64(k)))
	mi.pub = pub.idx
	if mi.measured && !s.m.started {
		s.m.started, s.m.wireAtStart = true, s.m.wire
	}
	s.m.hops[k*s.honest+int(pub.idx)] = 1 // hop 0
	for i := range s.honest {
		if n := s.nodes[i]; n.online && n != pub {
			mi.expected++
			if s.isTarget(n.idx) {
				mi.targets++
			}
		}
	}
	if _, err := pub.r.Publish(s.tnow(), topic.Name, data); err != nil {
		s.m.addViolation("message %d: publish at node %d: %v", k, pub.idx, err)
		return
	}
	s.flush(pub)
}

// mayPublish reports whether honest node n may publish: eclipse targets
// never do, and under AttackEclipsePublishers only the targets (the
// publishers) do.
func (s *simulator) mayPublish(n *node) bool {
	switch s.sc.Attack.Kind {
	case AttackEclipse:
		return !s.isTarget(n.idx)
	case AttackEclipsePublishers:
		return s.isTarget(n.idx)
	}
	return true
}

// publisherPool returns how many honest nodes (the first ones) publish
// may pick from: the targets under AttackEclipsePublishers, else all.
func (s *simulator) publisherPool() int {
	if s.sc.Attack.Kind == AttackEclipsePublishers {
		return s.targets()
	}
	return s.honest
}

// index returns the number of the (valid, simulated) message msg.
func (m *metrics) index(msg *rpc.Message) (int, bool) {
	d := msg.Data
	if len(d) < 5 || d[0] != validMarker {
		return 0, false
	}
	k := int(binary.BigEndian.Uint32(d[1:]))
	return k, k < len(m.msgs)
}

// deliver records a delivery at honest node n.
func (m *metrics) deliver(n *node, d *router.Delivery) {
	data := d.Msg.Data
	if len(data) < 5 || data[0] != validMarker {
		m.addViolation("node %d delivered a message the validator rejects (id %x)", n.idx, d.ID)
		return
	}
	k := int(binary.BigEndian.Uint32(data[1:]))
	if k >= len(m.msgs) {
		m.addViolation("node %d delivered unknown message %d", n.idx, k)
		return
	}
	mi := &m.msgs[k]
	if name := m.s.topics[mi.topic].Name; d.Msg.Topic != name {
		m.addViolation("node %d delivered message %d in topic %q, published in %q", n.idx, k, d.Msg.Topic, name)
		return
	}
	if mi.pub < 0 || mi.at < n.joinedAt {
		return // published before this incarnation joined
	}
	bit := k*m.s.honest + int(n.idx)
	if m.delivered(k, int(n.idx)) {
		m.addViolation("node %d delivered message %d twice", n.idx, k)
		return
	}
	// Other nodes' bits in the word, and the message's counts, may be
	// another worker's to write in this window (worker).
	atomic.OrUint64(&m.bits[bit/64], 1<<(bit%64))
	m.hop(k, bit, d.ReceivedFrom)
	atomic.AddInt32(&mi.got, 1)
	if m.s.isTarget(n.idx) {
		atomic.AddInt32(&mi.gotT, 1)
	}
	if mi.measured {
		us := int32((m.s.now - mi.at) / 1000)
		m.lat = append(m.lat, us)
		if m.topicLat != nil {
			m.topicLat[mi.topic] = append(m.topicLat[mi.topic], us)
		}
		if m.zoneLat != nil {
			k := m.s.nodes[mi.pub].zone*m.zones + n.zone
			m.zoneLat[k] = append(m.zoneLat[k], us)
		}
	}
}

// hop records the hops of the first copy of message k at (message, node)
// index bit, which came from peer from: one more than from's, when from
// is an honest node whose own count is known.
func (m *metrics) hop(k, bit int, from peer.ID) {
	j, ok := m.s.byID[from]
	if !ok || int(j) >= m.s.honest {
		return
	}
	h := m.hops[k*m.s.honest+int(j)]
	if h == 0 || h == math.MaxUint8 {
		return
	}
	m.hops[bit] = h + 1
	if m.msgs[k].measured {
		for len(m.hopHist) <= int(h) {
			m.hopHist = append(m.hopHist, 0)
		}
		m.hopHist[h]++
	}
}

// delivered reports whether node i got message k.
func (m *metrics) delivered(k, i int) bool {
	bit := k*m.s.honest + i
	return atomic.LoadUint64(&m.bits[bit/64])&(1<<(bit%64)) != 0
}

// event counts a router event of an honest node.
func (m *metrics) event(n *node, e *router.Event) {
	if int(e.Kind) < len(m.events) {
		m.events[e.Kind]++
	}
}

// beforeLeave keeps the counters of n's router and forgives the messages
// n could not have received yet.
func (m *metrics) beforeLeave(n *node) {
	m.addRouterStats(n)
	for k := m.published - 1; k >= 0; k-- {
		mi := &m.msgs[k]
		if mi.at < m.s.now-int64(leaveGrace) {
			break
		}
		if mi.pub >= 0 && mi.pub != n.idx && mi.at >= n.joinedAt && !m.delivered(k, int(n.idx)) {
			mi.expected--
		}
	}
}

// addRouterStats adds n's router counters to the totals.
func (m *metrics) addRouterStats(n *node) {
	if n.r == nil {
		return
	}
	st := n.r.Stats()
	m.dups += st.Duplicates
	for i := range m.topicDups {
		m.topicDups[i] += n.r.TopicDuplicates(m.s.topics[i].Name)
	}
	for i, d := range st.Drops {
		m.drops[i] += d
	}
}

// addViolation records a broken invariant.
func (m *metrics) addViolation(format string, args ...any) {
	m.violations++
	if len(m.violationLog) < maxViolations {
		msg := fmt.Sprintf("t=%v: ", time.Duration(m.s.now)) + fmt.Sprintf(format, args...)
		m.violationLog = append(m.violationLog, msg)
	}
}
