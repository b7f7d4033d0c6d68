package sim

import (
	"encoding/binary"
	"fmt"
	"time"

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
	targets  int32 // eclipse targets expected / reached (gotT)
	gotT     int32
}

// metrics accumulates a run's measurements.
type metrics struct {
	s         *simulator
	msgs      []msgInfo
	published int
	bits      []uint64 // delivered[msg*honest + node]
	lat       []int32  // µs, measured messages
	// zoneLat[from*zones+to]: lat by publisher's and receiver's zone;
	// nil without Latency.Zones.
	zoneLat [][]int32
	zones   int32

	wire, msgWire, packets, attackerWire uint64
	crossWire                            uint64 // part of wire between nodes of different zones
	dropLoss, dropPartition, dropOffline uint64
	routerErrors, spamSent               uint64
	// attackDropped and attackKept: messages routed censor and degrade
	// attackers withheld and forwarded.
	attackDropped, attackKept uint64
	events                    [16]uint64
	dups                      uint64
	drops                     [router.NumDropCauses]uint64

	violations   int
	violationLog []string

	scores []ScoreSample
	meshAS []float64 // attacker share of honest mesh slots, per sample
}

func newMetrics(s *simulator) *metrics {
	m := &metrics{s: s, zones: s.sc.Net.Latency.numZones()}
	if s.sc.Net.Latency.Zones != nil {
		m.zoneLat = make([][]int32, m.zones*m.zones)
	}
	return m
}

// planPublishes fills msgs and schedules their publishes.
func (m *metrics) planPublishes() {
	t := m.s.sc.Traffic
	if t.WarmRate > 0 {
		step := float64(time.Second) / t.WarmRate
		for at := float64(t.WarmStart); at < float64(t.Start); at += step {
			m.msgs = append(m.msgs, msgInfo{at: int64(at), pub: -1})
		}
	}
	step := float64(time.Second) / t.Rate
	for i := range t.Messages {
		m.msgs = append(m.msgs, msgInfo{at: int64(t.Start) + int64(float64(i)*step), pub: -1, measured: true})
	}
	for k := range m.msgs {
		m.s.q.push(event{at: m.msgs[k].at, kind: evPublish, arg: int32(k)})
	}
	m.bits = make([]uint64, (len(m.msgs)*m.s.honest+63)/64)
}

// publish publishes message k from a random online honest node.
func (s *simulator) publish(k int) {
	s.m.published++
	var pub *node
	for tries := 0; tries < 64; tries++ {
		n := s.nodes[s.rng.IntN(s.publisherPool())]
		if n.online && s.mayPublish(n) && !n.stalled(s.now) {
			pub = n
			break
		}
	}
	if pub == nil {
		s.m.addViolation("message %d: no online honest publisher", k)
		return
	}
	data := make([]byte, s.sc.Traffic.Size)
	data[0] = validMarker
	binary.BigEndian.PutUint32(data[1:], uint32(k))
	binary.BigEndian.PutUint64(data[5:], s.seed)
	binary.BigEndian.PutUint64(data[13:], splitmix64(s.seed^uint64(k)))
	mi := &s.m.msgs[k]
	mi.pub = pub.idx
	for i := range s.honest {
		if n := s.nodes[i]; n.online && n != pub {
			mi.expected++
			if s.isTarget(n.idx) {
				mi.targets++
			}
		}
	}
	if _, err := pub.r.Publish(s.tnow(), Topic, data); err != nil {
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
	if mi.pub < 0 || mi.at < n.joinedAt {
		return // published before this incarnation joined
	}
	bit := k*m.s.honest + int(n.idx)
	if m.bits[bit/64]&(1<<(bit%64)) != 0 {
		m.addViolation("node %d delivered message %d twice", n.idx, k)
		return
	}
	m.bits[bit/64] |= 1 << (bit % 64)
	mi.got++
	if m.s.isTarget(n.idx) {
		mi.gotT++
	}
	if mi.measured {
		us := int32((m.s.now - mi.at) / 1000)
		m.lat = append(m.lat, us)
		if m.zoneLat != nil {
			k := m.s.nodes[mi.pub].zone*m.zones + n.zone
			m.zoneLat[k] = append(m.zoneLat[k], us)
		}
	}
}

// delivered reports whether node i got message k.
func (m *metrics) delivered(k, i int) bool {
	bit := k*m.s.honest + i
	return m.bits[bit/64]&(1<<(bit%64)) != 0
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
