package membership

import (
	"errors"
	"fmt"
	"time"
)

// Fixed limits on metadata (the wire format's bounds, the same for every
// cluster).
const (
	// MaxAddrLen bounds Member.Addr in bytes: a DNS name, ':' and a port.
	MaxAddrLen = 261
	// MaxZoneLen bounds Member.Zone in bytes.
	MaxZoneLen = 64
	// MaxTags bounds the number of tags of one member.
	MaxTags = 32
	// MaxTagKeyLen bounds the length of one tag key in bytes (values are
	// bounded by Params.MaxTagBytes only).
	MaxTagKeyLen = 64
	// maxRelays bounds the ping-reqs served at once as a helper.
	maxRelays = 256
)

// Params are the SWIM and Lifeguard parameters. Every node of a cluster
// should use the same values. Names follow the SWIM paper (Das et al.,
// 2002) and Lifeguard (Dadgar et al., 2018), as hashicorp/memberlist does.
type Params struct {
	// ProbeInterval is the SWIM protocol period T': one member is probed
	// per interval. Multiplied by the local health multiplier (Health+1).
	// Must be > 0.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct ping waits for its ack before
	// ping-reqs go out; helpers also wait this long before they nack.
	// Multiplied by Health+1 for our own probes. A probe as a whole ends,
	// failed, max(ProbeInterval, 3×ProbeTimeout) (scaled) after it began:
	// the indirect path is two round trips. Must be > 0 and ≤ 4 × ProbeInterval.
	ProbeTimeout time.Duration
	// IndirectChecks is k, the number of members asked to ping-req a
	// member whose direct ping timed out; also the number of independent
	// confirmations that shrink a suspicion to its minimum. Must be ≥ 0.
	IndirectChecks int
	// SuspicionMult sets the minimum suspicion timeout:
	// SuspicionMult × max(1, log10(N)) × ProbeInterval. Must be ≥ 1.
	SuspicionMult int
	// SuspicionMaxTimeoutMult: a suspicion without confirmations lasts
	// SuspicionMaxTimeoutMult × the minimum (Lifeguard's dynamic
	// suspicion). Must be ≥ 1.
	SuspicionMaxTimeoutMult int
	// RetransmitMult: each update is sent at most
	// RetransmitMult × ceil(log10(N+1)) times. Must be ≥ 1.
	RetransmitMult int
	// GossipInterval is the period of gossip rounds, which happen only
	// while updates are queued. Must be > 0.
	GossipInterval time.Duration
	// GossipNodes is how many random up members one gossip round sends
	// to. Must be ≥ 1.
	GossipNodes int
	// PushPullInterval is the period of anti-entropy push-pull with one
	// random up member at up to PushPullScaleNodes members; above, it grows
	// in proportion to N/PushPullScaleNodes so that the bytes per node per
	// second stay constant. It is also, unscaled, the period of reconnect
	// pings to one retained dead member. Zero disables both.
	PushPullInterval time.Duration
	// PushPullScaleNodes: see PushPullInterval. Must be ≥ 1.
	PushPullScaleNodes int
	// DeadRetention is how long a dead or left member is kept (address
	// included) for refuting and for healing partitions. Zero forgets it
	// at once. Must be ≥ 0.
	DeadRetention time.Duration
	// MaxAwareness is Lifeguard's maximum local health multiplier S: the
	// score runs from 0 to MaxAwareness−1. Must be ≥ 1 (1 disables it).
	MaxAwareness int
	// MaxMembers bounds the members held (all states, self included); new
	// members beyond it are dropped and counted. It also bounds the
	// retained dead and left members and push-pull entries. Must be ≥ 2.
	MaxMembers int
	// MaxTagBytes bounds the sum of the lengths of a member's tag keys and
	// values. Must be ≥ 0.
	MaxTagBytes int
	// MaxPayload bounds one payload (rpc framing included) of every kind
	// but push-pull: piggybacked updates are packed up to it. Must be at
	// least 512.
	MaxPayload int
	// MaxStateBytes bounds one push-pull payload (the whole state). Must
	// be ≥ MaxPayload.
	MaxStateBytes int
	// MaxQueue bounds the broadcast queue (one entry per member); over it
	// the most transmitted entry is evicted and counted. Must be ≥ 1.
	MaxQueue int
}

// LANParams are the defaults for one data centre (one-way latency up to
// about 150 ms, a few percent loss). Compared with memberlist's
// DefaultLANConfig the probe period is halved and suspicion shortened so
// that a crash is known cluster-wide within about 5 s at 1,000 nodes, while
// a node that stalls for 2 s has time to refute; see the package doc.
func LANParams() Params {
	return Params{
		ProbeInterval:           500 * time.Millisecond, // two probes per second: first detection of a crash in ~0.8 s on average
		ProbeTimeout:            400 * time.Millisecond, // above the 300 ms worst LAN round trip; probe ends at 1.2 s
		IndirectChecks:          3,                      // SWIM's k; memberlist's value
		SuspicionMult:           2,                      // min suspicion = log10(N) s: 3 s at 1,000 nodes
		SuspicionMaxTimeoutMult: 4,                      // unconfirmed suspicion: 12 s at 1,000 nodes
		RetransmitMult:          3,                      // 12 sends per update at 1,000 nodes
		GossipInterval:          200 * time.Millisecond, // memberlist's value
		GossipNodes:             3,                      // memberlist's value
		PushPullInterval:        30 * time.Second,       // memberlist's value, scaled by N/PushPullScaleNodes
		PushPullScaleNodes:      64,                     // 30 s up to 64 nodes, 7.8 min at 1,000
		DeadRetention:           time.Hour,              // long enough to heal a long partition
		MaxAwareness:            8,                      // Lifeguard's and memberlist's value
		MaxMembers:              16384,
		MaxTagBytes:             512,
		MaxPayload:              1200, // under the transport MTU after its headers
		MaxStateBytes:           4 << 20,
		MaxQueue:                1024,
	}
}

// WANParams are LANParams for members spread across regions: slower
// probes, longer timeouts, more suspicion, rarer push-pull.
func WANParams() Params {
	p := LANParams()
	p.ProbeInterval = 3 * time.Second
	p.ProbeTimeout = 1500 * time.Millisecond
	p.SuspicionMult = 4
	p.SuspicionMaxTimeoutMult = 6
	p.GossipInterval = 500 * time.Millisecond
	p.GossipNodes = 4
	p.PushPullInterval = 60 * time.Second
	return p
}

// LocalParams are LANParams for one host or rack (loopback, sub-ms
// latency): faster probes and gossip, fewer helpers and retransmits.
func LocalParams() Params {
	p := LANParams()
	p.ProbeInterval = 200 * time.Millisecond
	p.ProbeTimeout = 100 * time.Millisecond
	p.IndirectChecks = 1
	p.RetransmitMult = 3
	p.GossipInterval = 100 * time.Millisecond
	p.PushPullInterval = 15 * time.Second
	return p
}

// Validate reports every problem at once (errors.Join), each wrapping
// ErrConfig; nil when p is usable.
func (p Params) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...)))
	}
	if p.ProbeInterval <= 0 {
		bad("ProbeInterval %v must be > 0", p.ProbeInterval)
	}
	if p.ProbeTimeout <= 0 || p.ProbeTimeout > 4*p.ProbeInterval {
		bad("ProbeTimeout %v must be > 0 and ≤ 4 × ProbeInterval %v (probes overlap)", p.ProbeTimeout, p.ProbeInterval)
	}
	if p.IndirectChecks < 0 {
		bad("IndirectChecks %d must be ≥ 0", p.IndirectChecks)
	}
	if p.SuspicionMult < 1 {
		bad("SuspicionMult %d must be ≥ 1", p.SuspicionMult)
	}
	if p.SuspicionMaxTimeoutMult < 1 {
		bad("SuspicionMaxTimeoutMult %d must be ≥ 1", p.SuspicionMaxTimeoutMult)
	}
	if p.RetransmitMult < 1 {
		bad("RetransmitMult %d must be ≥ 1", p.RetransmitMult)
	}
	if p.GossipInterval <= 0 {
		bad("GossipInterval %v must be > 0", p.GossipInterval)
	}
	if p.GossipNodes < 1 {
		bad("GossipNodes %d must be ≥ 1", p.GossipNodes)
	}
	if p.PushPullInterval < 0 {
		bad("PushPullInterval %v must be ≥ 0", p.PushPullInterval)
	}
	if p.PushPullScaleNodes < 1 {
		bad("PushPullScaleNodes %d must be ≥ 1", p.PushPullScaleNodes)
	}
	if p.DeadRetention < 0 {
		bad("DeadRetention %v must be ≥ 0", p.DeadRetention)
	}
	if p.MaxAwareness < 1 {
		bad("MaxAwareness %d must be ≥ 1", p.MaxAwareness)
	}
	if p.MaxMembers < 2 {
		bad("MaxMembers %d must be ≥ 2", p.MaxMembers)
	}
	if p.MaxTagBytes < 0 {
		bad("MaxTagBytes %d must be ≥ 0", p.MaxTagBytes)
	}
	if p.MaxPayload < 512 {
		bad("MaxPayload %d must be ≥ 512", p.MaxPayload)
	}
	if p.MaxStateBytes < p.MaxPayload {
		bad("MaxStateBytes %d must be ≥ MaxPayload %d", p.MaxStateBytes, p.MaxPayload)
	}
	if p.MaxQueue < 1 {
		bad("MaxQueue %d must be ≥ 1", p.MaxQueue)
	}
	return errors.Join(errs...)
}
