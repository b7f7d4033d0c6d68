package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// invalidMarker starts the data of every message the honest validator
// rejects; valid messages start with validMarker.
const (
	validMarker   = 0x00
	invalidMarker = 0xff
)

// node is one simulated node: honest (a Router, maybe a Scorer) or an
// attacker (a Router for covert flash, nothing but state otherwise).
type node struct {
	idx      int32
	id       peer.ID
	ident    *peer.Identity
	attacker bool
	r        *router.Router // nil for lightweight attackers and offline nodes
	scorer   *score.Scorer
	mem      *membership.Membership // honest nodes online only
	pm       *peering.Manager       // honest nodes online only
	addr     string                 // "host:port" this node announces
	ip       netip.Addr             // the address its peers see (Attack.IPs)
	memAt    int64                  // membership deadline scheduled
	pmAt     int64                  // peer manager deadline scheduled
	flushing bool                   // flush is draining this node's outputs
	// heard: the peers n received router packets from since its last
	// receiver report (Network.Control); nil without reports.
	heard map[int32]struct{}
	// stalledUntil: the node is paused until then; stallBuf counts the
	// bytes waiting in its socket buffer meanwhile.
	stalledUntil int64
	stallBuf     int
	online       bool
	inc          int32 // incarnation, bumped at each (re)join
	joinedAt     int64
	peers        []int32 // the nodes its open connection ends lead to
	ends         []end   // ends[i]: its end of the connection to peers[i]
	timerAt      int64
	upFree       int64 // the uplink is busy until then
	side         uint8 // partition side
	zone         int32 // index into Latency.Zones.Names (0 without zones)

	// heartbeats seen at the last invariant check.
	heartbeats uint64
	// stats of earlier incarnations' routers (churn).
	prevDups uint64

	spamSeq uint64 // attacker message counter

	// pushes counts the events pushed while this node's were handled
	// (their seq, queue); rng draws its packets' fates (loss, jitter),
	// made at the first draw.
	pushes uint64
	rng    *rand.Rand
}

// random returns n's own random source, seeded from the run's seed and n,
// so that its draws do not depend on other nodes' events.
func (s *simulator) random(n *node) *rand.Rand {
	if n.rng == nil {
		n.rng = rand.New(rand.NewPCG(s.seed^0x9e3779b97f4a7c15, uint64(n.idx)))
	}
	return n.rng
}

// seedBytes derives node i's 32-byte identity seed from the run seed.
func seedBytes(seed uint64, i int32) []byte {
	b := make([]byte, 32)
	for k := 0; k < 4; k++ {
		binary.LittleEndian.PutUint64(b[8*k:], splitmix64(seed^uint64(i)<<20^uint64(k)<<60))
	}
	return b
}

// newNode returns node i with its identity; it is offline.
func newNode(seed uint64, i int32, attacker bool) (*node, error) {
	ident, err := peer.IdentityFromSeed(seedBytes(seed, i))
	if err != nil {
		return nil, fmt.Errorf("sim: node %d identity: %w", i, err)
	}
	addr := fmt.Sprintf("10.%d.%d.%d:7946", i>>16&0xff, i>>8&0xff, i&0xff)
	ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	return &node{idx: i, id: ident.ID(), ident: ident, attacker: attacker, timerAt: -1, memAt: -1, pmAt: -1, addr: addr, ip: ip}, nil
}

// idLen is the length of a simulated message id, that of the default
// StrictNoSign id (SHA-256), so gossip costs the same bytes.
const idLen = 32

// appendMessageID is the simulator's message id: the first idLen bytes of
// the data, which the simulator makes unique for every message (marker,
// index or sender and counter, seed). It saves hashing every copy at every
// node; ids have the size of real ones, so gossip bytes are unchanged.
func appendMessageID(dst []byte, m *rpc.Message) []byte {
	d := m.Data
	if len(d) > idLen {
		d = d[:idLen]
	}
	return append(dst, d...)
}

// honestValidator rejects messages whose data starts with invalidMarker.
func honestValidator(_ peer.ID, m *rpc.Message) validator.Result {
	if len(m.Data) > 0 && m.Data[0] == invalidMarker {
		return validator.Reject
	}
	return validator.Accept
}

// routerConfig returns n's router configuration, Scorer aside: honest
// nodes run the scenario's strategy in their zone; a covert flash
// attacker's router runs Uniform (its behaviour does not change with the
// honest nodes' strategy).
func (s *simulator) routerConfig(n *node) router.Config {
	cfg := router.Config{
		Params:          s.params,
		Rand:            rand.New(rand.NewPCG(s.seed, uint64(n.idx)<<16|uint64(n.inc))),
		Limits:          rpc.DefaultLimits(),
		AppendMessageID: appendMessageID,
		Zone:            s.zoneOf(n),
	}
	if n.attacker {
		cfg.Params.Strategy = router.Uniform
	}
	if s.sc.Sign {
		cfg.Identity = n.ident
	} else {
		cfg.SignaturePolicy = router.StrictNoSign
		cfg.ID = n.id
	}
	return cfg
}

// startRouter gives n a fresh Router (and Scorer when scoring is on),
// joined to every topic of the run.
func (s *simulator) startRouter(n *node, scoring bool) error {
	cfg := s.routerConfig(n)
	n.scorer = nil
	if scoring {
		sc, err := score.New(s.sc.scoreParams())
		if err != nil {
			return fmt.Errorf("sim: score params: %w", err)
		}
		n.scorer = sc
		cfg.Scorer = sc
		cfg.Thresholds = s.sc.thresholds()
	}
	r, err := router.New(cfg)
	if err != nil {
		return fmt.Errorf("sim: node %d: %w", n.idx, err)
	}
	n.r = r
	// The router's heartbeat clock starts at its first input.
	first := s.tnow()
	if sp := s.sc.Topology.HeartbeatSpread; sp > 0 {
		first = first.Add(-time.Duration(s.rng.Int64N(int64(sp))))
	}
	for i := range s.topics {
		name := s.topics[i].Name
		r.SetValidator(name, router.TopicValidator{Sync: honestValidator})
		if err := r.Join(first, name); err != nil {
			return fmt.Errorf("sim: node %d join %q: %w", n.idx, name, err)
		}
	}
	s.flush(n)
	return nil
}

// unlink removes j from n's peers.
func (n *node) unlink(j int32) {
	if i := n.endTo(j); i >= 0 {
		last := len(n.peers) - 1
		n.peers[i], n.ends[i] = n.peers[last], n.ends[last]
		n.peers, n.ends = n.peers[:last], n.ends[:last]
	}
}

// end is a node's end of a connection: the connection's generation (a
// hangup of an earlier connection between the same nodes is stale) and
// whether this node dialled it.
type end struct {
	gen int32
	out bool
}

// endTo returns the index in n.peers of its open end to node j, or -1.
func (n *node) endTo(j int32) int {
	for i, p := range n.peers {
		if p == j {
			return i
		}
	}
	return -1
}

// link opens n's end of connection gen to node j.
func (n *node) link(j, gen int32, out bool) {
	n.peers = append(n.peers, j)
	n.ends = append(n.ends, end{gen: gen, out: out})
}

// placeIPs puts the attackers on Attack.IPs shared addresses (attacker
// k on 172.16.0.(k mod IPs)), outside the honest nodes' 10/8.
func (s *simulator) placeIPs() {
	ips := s.sc.Attack.IPs
	if ips == 0 {
		return
	}
	for i := s.honest; i < len(s.nodes); i++ {
		k := (i - s.honest) % ips
		s.nodes[i].ip = netip.AddrFrom4([4]byte{172, 16, byte(k >> 8), byte(k)})
	}
}

// zoneOf returns the name of n's zone ("" without Latency.Zones): the
// zone an honest node announces in membership and its router's
// Config.Zone, and the zone its peers' routers are told (attackers claim
// theirs).
func (s *simulator) zoneOf(n *node) string { return s.sc.Net.Latency.zoneName(n.zone) }

// placeNodes gives every node its zone: honest node i zone i mod zones;
// attackers as Attack.Near says.
func (s *simulator) placeNodes() {
	nz := s.sc.Net.Latency.numZones()
	for i, n := range s.nodes {
		k := int32(i - s.honest) // attacker number
		switch {
		case !n.attacker || !s.sc.Attack.Near:
			n.zone = int32(i) % nz
		case s.sc.Attack.hasTargets():
			n.zone = s.nodes[k%int32(s.targets())].zone
		default:
			n.zone = k % nz
		}
	}
}

// delay returns the fixed one-way delay between nodes a and b in ns:
// NearDelay for attacker links under Attack.Near, else the latency
// model's.
func (s *simulator) delay(a, b *node) int64 {
	if s.sc.Attack.Near && (a.attacker || b.attacker) {
		return int64(NearDelay)
	}
	return s.sc.Net.Latency.linkDelay(s.seed, a.idx, b.idx, a.zone, b.zone)
}

// rtt returns the round-trip time node a measures to b, as a transport's
// smoothed estimate would settle: the link's delay both ways plus the mean
// per-packet jitter of each way (PacketJitter/2 twice). Queueing at the
// uplinks is not counted.
func (s *simulator) rtt(a, b *node) time.Duration {
	return time.Duration(2*s.delay(a, b)) + s.sc.Net.Latency.PacketJitter
}
