package sim

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig is wrapped by every problem Scenario.Validate reports.
var ErrConfig = errors.New("sim: invalid config")

// Network is the whole network model of a run: every fault and timing knob
// in one struct (the TigerBeetle packet-simulator idea). The zero value is
// a perfect network: no latency, no loss, unlimited bandwidth, no overhead,
// MTU 1400, no partition, no churn.
type Network struct {
	// Latency is the one-way delay of each link.
	Latency Latency
	// Loss is the probability that one packet (one MTU-sized fragment) is
	// lost, in [0, 1). A payload of k fragments arrives only if all k do.
	Loss float64
	// Bandwidth is each node's upload rate in bits per second: packets
	// leave a node one after the other, so fan-out of large messages takes
	// serialization time. Zero means unlimited.
	Bandwidth int64
	// Overhead is the fixed transport cost of one packet in bytes (IP and
	// UDP headers, gwyh's packet header and AEAD tag), counted on the wire
	// and against Bandwidth. Zero means none.
	Overhead int
	// MTU is the most payload bytes rpc.Pack puts in one packet; larger
	// single parts travel as ceil(len/MTU) fragments. Zero means 1400.
	MTU int
	// Partition splits the network and heals it; the zero value never
	// splits.
	Partition Partition
	// Churn makes honest nodes leave and come back; the zero value has no
	// churn.
	Churn Churn
	// Crash kills honest nodes abruptly at once; the zero value kills
	// none.
	Crash Crash
	// Stalls pause honest nodes now and then (a GC pause, a stopped VM);
	// the zero value never stalls one.
	Stalls Stalls
	// Control is the transport's own traffic on gossip connections
	// (receiver reports, keepalive pings); the zero value sends none.
	Control Control
}

// Control models the transport's periodic packets between connected
// honest nodes, which cost bytes and uplink time but carry nothing the
// routers see: every ReportInterval a node sends each peer that sent it
// router packets since its previous report one report of ReportBytes,
// and every PingInterval it pings each peer with PingBytes, answered by
// a pong of the same size. Sizes are whole packets (frame, header and
// tag; Network.Overhead is not added). gwyh's transport reports every
// 50 ms (29-byte frame) and pings every second (9-byte frame), in
// packets of 32 bytes of header and tag. Membership sessions' reports
// and pings are not modelled (membership has no sessions here).
type Control struct {
	ReportInterval, PingInterval time.Duration
	ReportBytes, PingBytes       int
}

// Crash kills Fraction of the honest nodes at At, node 0 (every node's
// seed) among them, without a goodbye: their processes are gone, packets
// to them are lost, and their peers learn it only from membership (each
// live node drops a dead member as a peer when its view declares it dead).
// They never come back. At == 0: none.
type Crash struct {
	At       time.Duration
	Fraction float64 // in (0, 1)
}

// Stalls pause Fraction of the honest nodes (at least one) every Interval
// from Start to Stop, each for a uniform [Min, Max]. A stalled node is a
// paused process: it runs no timer and reads nothing; packets that reach
// it wait in its socket buffer (up to Buffer bytes, the rest is dropped
// and counted, as the kernel does) and are read when it resumes, before
// the timers that came due meanwhile fire. It publishes nothing meanwhile. Interval ==
// 0: none.
type Stalls struct {
	Start, Stop time.Duration
	Interval    time.Duration
	Fraction    float64
	Min, Max    time.Duration
	// Buffer is the socket receive buffer in bytes; zero means 256 KiB.
	Buffer int
}

// Latency is the one-way delay model. Each link (a pair of nodes) gets a
// fixed delay, Base plus a per-link offset drawn uniformly from
// [-Jitter, +Jitter] (a hash of the seed and the pair, so no state), or the
// zone matrix's RTT/2 when Zones is set; each packet then adds a uniform
// [0, PacketJitter) on top, which may reorder packets of one link.
type Latency struct {
	Base time.Duration
	// Jitter is the per-link spread around Base, ≤ Base; with Zones,
	// around the zone delay, and at most half of it (links within a
	// region, 2 ms one way, stay in [1, 3] ms rather than clipping at 0,
	// a round trip no node measures).
	Jitter       time.Duration
	PacketJitter time.Duration // per-packet extra delay; zero: none
	// Zones, when set, replaces Base by the RTT/2 between the nodes' zones;
	// honest node i lives in zone i mod len(Zones.Names) (attackers: see
	// Attack.Near).
	Zones *Zones
}

// Zones is a matrix of round-trip times between named regions.
type Zones struct {
	Names []string
	// RTT[i][j] is the round-trip time between zone i and zone j;
	// symmetric, len(Names) × len(Names).
	RTT [][]time.Duration
}

// FiveRegions returns five cloud regions with typical round-trip times
// between them (public inter-region latency tables, rounded): us-east,
// us-west, eu-west, ap-southeast and sa-east, 4 ms within a region.
func FiveRegions() *Zones {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	return &Zones{
		Names: []string{"us-east", "us-west", "eu-west", "ap-southeast", "sa-east"},
		RTT: [][]time.Duration{
			ms(4, 65, 75, 215, 115),
			ms(65, 4, 140, 170, 175),
			ms(75, 140, 4, 160, 185),
			ms(215, 170, 160, 4, 320),
			ms(115, 175, 185, 320, 4),
		},
	}
}

// Partition splits the honest nodes in two at At: the first Fraction of
// them (by index) on one side, the rest and every attacker on the other.
// Packets across the split are lost (and counted) until Heal. Connections
// stay up, as a real partition is not noticed at once. At == 0: none.
type Partition struct {
	At, Heal time.Duration
	Fraction float64 // in (0, 1); zero means 0.5
}

// Churn makes Fraction of the honest nodes (never a publisher of the
// moment) leave every Interval from Start to Stop; each comes back after
// Downtime with a fresh Router (same identity) and dials new peers.
// Interval == 0: no churn.
type Churn struct {
	Start, Stop time.Duration
	Interval    time.Duration
	Downtime    time.Duration
	Fraction    float64 // of the honest nodes per Interval, in (0, 1)
}

func (n *Network) validate(errs *[]error) {
	bad := func(ok bool, format string, args ...any) {
		if !ok {
			*errs = append(*errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
		}
	}
	l := n.Latency
	bad(l.Base >= 0 && l.Jitter >= 0 && l.PacketJitter >= 0, "latencies must be ≥ 0")
	bad(l.Zones != nil || l.Jitter <= l.Base, "Latency.Jitter %v > Base %v", l.Jitter, l.Base)
	if z := l.Zones; z != nil {
		bad(len(z.Names) > 0 && len(z.RTT) == len(z.Names), "Zones: %d names, %d RTT rows", len(z.Names), len(z.RTT))
		for i := range z.RTT {
			bad(len(z.RTT[i]) == len(z.Names), "Zones: RTT row %d has %d entries", i, len(z.RTT[i]))
		}
	}
	bad(n.Loss >= 0 && n.Loss < 1, "Loss %v not in [0, 1)", n.Loss)
	bad(n.Bandwidth >= 0 && n.Overhead >= 0 && n.MTU >= 0, "Bandwidth, Overhead and MTU must be ≥ 0")
	c := n.Control
	bad(c.ReportInterval >= 0 && c.PingInterval >= 0 && c.ReportBytes >= 0 && c.PingBytes >= 0, "Control: intervals and sizes must be ≥ 0")
	bad(n.MTU == 0 || n.MTU >= 256, "MTU %d < 256", n.MTU)
	if p := n.Partition; p.At > 0 {
		bad(p.Heal > p.At, "Partition.Heal %v ≤ At %v", p.Heal, p.At)
		bad(p.Fraction >= 0 && p.Fraction < 1, "Partition.Fraction %v not in [0, 1)", p.Fraction)
	}
	if c := n.Crash; c.At > 0 {
		bad(c.Fraction > 0 && c.Fraction < 1, "Crash.Fraction %v not in (0, 1)", c.Fraction)
	}
	if st := n.Stalls; st.Interval > 0 {
		bad(st.Fraction > 0 && st.Fraction < 1, "Stalls.Fraction %v not in (0, 1)", st.Fraction)
		bad(st.Min > 0 && st.Max >= st.Min && st.Stop > st.Start && st.Buffer >= 0, "Stalls need 0 < Min ≤ Max, Stop > Start, Buffer ≥ 0")
	}
	if c := n.Churn; c.Interval > 0 {
		bad(c.Fraction > 0 && c.Fraction < 1, "Churn.Fraction %v not in (0, 1)", c.Fraction)
		bad(c.Downtime > 0 && c.Stop > c.Start, "Churn needs Downtime > 0 and Stop > Start")
	}
}

// mtu returns the packing MTU.
func (n *Network) mtu() int {
	if n.MTU == 0 {
		return 1400
	}
	return n.MTU
}

// splitmix64 is a 64-bit mixing function (Steele et al., "Fast splittable
// pseudorandom number generators"), used to derive per-link values from the
// seed without state.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// linkDelay returns the fixed one-way delay of the link between nodes a
// and b (symmetric) in ns, za and zb being their zones (indices into
// Zones.Names; ignored without Zones).
func (l *Latency) linkDelay(seed uint64, a, b, za, zb int32) int64 {
	if a > b {
		a, b = b, a
	}
	base, spread := l.Base, l.Jitter
	if z := l.Zones; z != nil {
		base = z.RTT[za][zb] / 2
		spread = min(spread, base/2)
	}
	d := int64(base)
	if spread > 0 {
		h := splitmix64(seed ^ uint64(a)<<32 ^ uint64(b))
		u := float64(h>>11) / (1 << 53) // [0, 1)
		d += int64((2*u - 1) * float64(spread))
	}
	return max(d, 0)
}

// numZones returns the number of zones of the latency model, 1 without
// Zones (every node then in zone 0, named "").
func (l *Latency) numZones() int32 {
	if l.Zones == nil {
		return 1
	}
	return int32(len(l.Zones.Names))
}

// zoneName returns the name of zone z, "" without Zones.
func (l *Latency) zoneName(z int32) string {
	if l.Zones == nil {
		return ""
	}
	return l.Zones.Names[z]
}

// FiveRegionLinks is the latency model of the zones scenario (and of
// `gwyh sim -zones`): FiveRegions with 5 ms of per-link spread around
// each zone pair's delay.
func FiveRegionLinks() Latency {
	return Latency{Zones: FiveRegions(), Jitter: 5 * time.Millisecond}
}
