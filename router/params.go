package router

import (
	"errors"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/mesh"
)

// Params are the GossipSub v1.1/v1.2 router parameters, with the spec's
// names (gossipsub-v1.0.md "Parameters", gossipsub-v1.1.md "Overview of New
// Parameters", gossipsub-v1.2.md). Start from DefaultParams and change what
// differs; Validate reports every inconsistency at once.
type Params struct {
	// D is the desired mesh degree per topic.
	D int
	// Dlo: below it, the heartbeat grafts up to D. Dlo ≤ D.
	Dlo int
	// Dhi: above it, the heartbeat prunes down to D. D ≤ Dhi.
	Dhi int
	// Dscore: when pruning, the Dscore best-scoring mesh peers are kept.
	// Dscore ≤ D.
	Dscore int
	// Dout: the heartbeat keeps at least Dout outbound peers per mesh.
	// Dout < Dlo and Dout ≤ D/2.
	Dout int
	// Dlazy: least number of peers gossiped to (IHAVE) per topic per
	// heartbeat.
	Dlazy int
	// GossipFactor: fraction of eligible non-mesh peers gossiped to when
	// that is more than Dlazy. In [0, 1].
	GossipFactor float64
	// HeartbeatInterval between heartbeats. > 0.
	HeartbeatInterval time.Duration
	// FanoutTTL: a fan-out topic not published to for this long is
	// forgotten. > 0.
	FanoutTTL time.Duration
	// HistoryLength: heartbeats a message stays in the message cache
	// (served to IWANT). ≥ 1.
	HistoryLength int
	// HistoryGossip: heartbeats of the cache advertised in IHAVE.
	// 1 ≤ HistoryGossip ≤ HistoryLength.
	HistoryGossip int
	// MessageCacheBytes: most bytes the message cache holds: the message
	// bodies (from, data, seqno, signature, key), their ids and
	// mesh.EntryOverhead (128) bytes of bookkeeping per message. Over it,
	// the oldest bodies are evicted first: IWANTs for them go unanswered
	// (counted, DropIWantEvicted). IHAVE advertises only the bodies in the
	// newest HistoryGossip/HistoryLength share of it, so that what is
	// advertised is still held when the IWANT comes. The default, 1 MiB,
	// is what gwyh sim's attack evaluation needs at its load (120 msgs/s
	// of 2 KiB): with 256 KiB, paper-coldboot delivered 0.945 and
	// paper-dawn 0.983 at 200 honest nodes (seed 1), against 1.0 and
	// 0.9999. A smaller cache advertises fewer ids per heartbeat and
	// holds less memory (README.md, "Status"); a load far under its
	// windows can take one. > 0.
	MessageCacheBytes int
	// SeenTTL: how long a message id is remembered to drop duplicates. > 0.
	SeenTTL time.Duration
	// PruneBackoff: backoff after a PRUNE before re-grafting. > 0.
	PruneBackoff time.Duration
	// UnsubscribeBackoff: backoff sent with the PRUNEs of Leave. > 0.
	UnsubscribeBackoff time.Duration
	// FullMeshBackoff: backoff sent with the PRUNE that refuses a GRAFT
	// only because the mesh is at Dhi and the peer is inbound (the v1.1
	// rule against love bombing): not misbehaviour, so it may be shorter
	// than PruneBackoff and let the peer try again sooner. When sybils
	// fill meshes before honest peers meet ("attack at dawn"), every
	// honest GRAFT meets a full mesh, and a minute's backoff keeps honest
	// peers out of the meshes the sybils leave when P3 turns against
	// them. ≥ 0; 0 is PruneBackoff.
	FullMeshBackoff time.Duration
	// PrunePeers: most peers offered in the PX of one PRUNE. ≥ 0.
	PrunePeers int
	// FloodPublish: own messages go to every topic peer scoring at least
	// PublishThreshold, not only to the mesh.
	FloodPublish bool
	// GossipRetransmission: most times one message is served to one peer
	// by IWANT. ≥ 1.
	GossipRetransmission int
	// MaxIHaveLength: most message ids asked of (and advertised to) one
	// peer per heartbeat. ≥ 1.
	MaxIHaveLength int
	// MaxIHaveMessages: most IHAVE messages (one per topic; the entries
	// rpc.Pack split one into count once) accepted from one peer per
	// heartbeat. ≥ 1.
	MaxIHaveMessages int
	// IWantFollowupTime: how long an IWANT promise may stay unkept before
	// the advertiser earns a P7 penalty. > 0.
	IWantFollowupTime time.Duration
	// GraftFloodThreshold: a GRAFT sooner than this after our PRUNE earns an
	// extra P7 penalty. > 0.
	GraftFloodThreshold time.Duration
	// OpportunisticGraftTicks: heartbeats between opportunistic grafts. ≥ 1.
	OpportunisticGraftTicks int
	// OpportunisticGraftPeers: peers grafted per opportunistic graft. ≥ 0.
	OpportunisticGraftPeers int
	// DirectConnectTicks: heartbeats between the node's checks that its
	// configured direct peers are connected. The router never dials and
	// does not use it; it is here so that one Params describes the
	// protocol. ≥ 1.
	DirectConnectTicks int
	// IDontWantMessageThreshold: messages of at least this many data bytes
	// that are validated asynchronously trigger IDONTWANT to mesh peers on
	// first receipt, before validation. A message validated inline is
	// forwarded at once, in the same payload an IDONTWANT would take, so
	// none is sent for it. ≥ 0. The default, 1024, is where IDONTWANT
	// starts to pay in gwyh bench -validate (32 nodes, bytes per message
	// per node with it against without: 256 B +19 %, 512 B −1 %, 1 KiB
	// −6 %, 4 KiB −8 %); inline-validated messages saved no duplicate at
	// any size (bench 256 B to 4 KiB, sim 256 B to 64 KiB).
	IDontWantMessageThreshold int
	// MaxIDontWantMessages: most IDONTWANT ids accepted from one peer per
	// heartbeat. ≥ 0.
	MaxIDontWantMessages int
	// IDontWantTTL: heartbeats a received IDONTWANT id is remembered. ≥ 1.
	IDontWantTTL int
	// PublishIDontWant: an own message whose author its receivers cannot
	// tell (no From: StrictNoSign) is announced with IDONTWANT to the mesh
	// peers it goes to, so that a peer whose copy from us is not its first
	// does not send it back (go-libp2p-pubsub does so since 2025). Under
	// StrictSign receivers never send a message to its author, so nothing
	// is sent. Off by default: the copy to each mesh peer travels in the
	// same payload and already says as much (gwyh bench 256 B: no
	// duplicate saved, a few % more bytes; sim baseline 200 nodes: 4.3952
	// → 4.3941 duplicates per message per node, +1 byte).
	PublishIDontWant bool

	// Choke turns on the choke extension (gwyh's; libp2p/specs PR #681,
	// after Episub): per joined topic, a mesh peer whose copies keep
	// arriving late (over ChokeWindow messages, first or within
	// ChokeMargin of the first for under 1/16 of them and late for at
	// least 1/4) is sent CHOKE and from then on sends IHAVE instead of
	// the messages it forwards; it is sent UNCHOKE when its IHAVEs (by
	// more than ChokeMargin before the first copy) or copies it still
	// sends in full show it would have been first (for at least 1/8 of a
	// window), when it fell silent for a heartbeat
	// interval, after ChokeTimeout, or when fewer than ChokeMinUnchoked
	// mesh peers are unchoked. It engages only while the topic's load
	// reaches ChokeMinRate. Received CHOKEs are honoured whether or not
	// it is on; a peer that does not know the extension ignores CHOKE and
	// keeps sending, so mixing is safe. On by default: below ChokeMinRate
	// it stands aside (gwyh sim's scenarios, at 50 msgs/s of 256 B, run
	// byte for byte as without it), and above it, on this project's
	// 2-core machine, it won in every gwyh bench configuration where it
	// engaged, with delivery 1.0 in all of them (README.md, "Status":
	// 256 B unsigned and strict at window 16 and window 0, 4 KiB, 100
	// nodes; duplicates per message per node about halved, bytes per
	// delivery down a third or more).
	Choke bool
	// ChokeWindow: the topic's new messages per choke decision. ≥ 1 when
	// Choke.
	ChokeWindow int
	// ChokeMargin: a copy that arrives within this of the first counts as
	// first, and a choked peer's IHAVE must come more than this before the
	// first copy to count as would-have-been-first. ≥ 0.
	ChokeMargin time.Duration
	// ChokeMinUnchoked: least unchoked mesh peers per topic, so that
	// delivery never depends on IWANT round trips alone. ≥ 1 when Choke.
	ChokeMinUnchoked int
	// ChokeTimeout: a peer choked this long is unchoked, to be measured
	// again. 0: never.
	ChokeTimeout time.Duration
	// ChokeMinRate: the topic load, in bytes/s of the message bodies
	// (rpc.Message.Size) first received, from which choke engages. The
	// router measures it over the current heartbeat interval and the
	// one before, and over at least a HeartbeatInterval, so that a
	// backlog arriving at once after a stall is no load. At the end of
	// a choke window at or over ChokeMinRate, choke engages in the
	// topic; it disengages when a window's end or a heartbeat finds the
	// load under half of it, and every choked peer is then unchoked.
	// Disengaged, no choke is decided. Choking trades the latency tail
	// (the first of D eager copies is no longer awaited from every mesh
	// peer) for the CPU and bandwidth of duplicates, which only pays
	// when duplicates cost something. The default, 128 KiB/s, is about
	// where they start to: with D = 6 a node receives about 5 duplicates
	// of each message, 5 Mbit/s at 128 KiB/s, and a 256 B duplicate
	// costs about 2.7 µs of CPU (README.md's gwyh bench figures). On the
	// project's 2-core machine gwyh bench engaged at 100 nodes and ~450
	// msgs/s of 256 B (about 160 KB/s: 5-15 % more msgs/s, duplicates
	// 5.3 → 2.4), while at 200 msgs/s (70 KB/s, under it) choke forced
	// on at any load left the latency as it was (p99 2.9-3.0 ms against
	// 3.2-6.4 ms). Bytes, not messages, so that choke engages at 32
	// msgs/s of 4 KiB but only at about 360 msgs/s of signed 256 B
	// messages. ≥ 0; 0: choke at any load.
	ChokeMinRate int

	// Strategy orders the peers the score rules allow when the router
	// chooses mesh peers (grafts below Dlo, what an oversubscribed mesh
	// keeps beyond Dscore, opportunistic grafts), gossip targets, fan-out
	// peers and the order of a message's copies. Uniform (the zero value)
	// is GossipSub's random choice. The zone strategies need Config.Zone
	// and the peers' zones (PeerOptions.Zone, SetPeerZone); PreferFast
	// needs RTTs (SetRTT).
	Strategy Strategy
	// RemoteMeshPeers: PreferLocal keeps at least this many mesh peers of
	// other zones (those that grafted us count), so that a topic never
	// splits along zone lines. ≥ 1 under PreferLocal.
	RemoteMeshPeers int
	// RandomMeshShare: the share of PreferFast's choices made at random
	// instead of by RTT, so that peers that answer fastest cannot take a
	// whole mesh. In [0, 1].
	RandomMeshShare float64
}

// Strategy is how the router orders eligible peers; see mesh.Strategy.
type Strategy = mesh.Strategy

// The strategies (mesh.Strategy's constants, here for callers of router).
const (
	Uniform     = mesh.Uniform
	PreferLocal = mesh.PreferLocal
	HubAndSpoke = mesh.HubAndSpoke
	PreferFast  = mesh.PreferFast
)

// DefaultParams returns the spec's recommended parameters.
func DefaultParams() Params {
	return Params{
		D:                         6,  // gossipsub-v1.0 recommendation
		Dlo:                       4,  // graft below this
		Dhi:                       12, // prune above this
		Dscore:                    4,  // v1.1: 4 or 5 for D=6
		Dout:                      2,  // v1.1: 2 for D=6
		Dlazy:                     6,  // = D
		GossipFactor:              0.25,
		HeartbeatInterval:         time.Second,
		FanoutTTL:                 60 * time.Second,
		HistoryLength:             5,
		HistoryGossip:             3,
		MessageCacheBytes:         1 << 20, // the gossip windows of 3 heartbeats at ~200 KB/s of messages
		SeenTTL:                   2 * time.Minute,
		PruneBackoff:              time.Minute,
		UnsubscribeBackoff:        10 * time.Second,
		PrunePeers:                16,
		FloodPublish:              true,
		GossipRetransmission:      3,
		MaxIHaveLength:            5000,
		MaxIHaveMessages:          10,
		IWantFollowupTime:         3 * time.Second,
		GraftFloodThreshold:       10 * time.Second,
		OpportunisticGraftTicks:   60,
		OpportunisticGraftPeers:   2,
		DirectConnectTicks:        300,
		IDontWantMessageThreshold: 1024,
		MaxIDontWantMessages:      1000,
		IDontWantTTL:              3,
		PublishIDontWant:          false, // measured: no duplicate saved (see the field)
		Choke:                     true,
		ChokeWindow:               32,               // about a second at 32 msg/s
		ChokeMargin:               time.Millisecond, // copies this close are as good as first
		ChokeMinUnchoked:          2,                // Dlo/2
		ChokeTimeout:              time.Minute,
		ChokeMinRate:              128 << 10, // bytes/s: where duplicates start to cost (see the field)
		Strategy:                  Uniform,
		RemoteMeshPeers:           2,
		RandomMeshShare:           1.0 / 3,
	}
}

// Validate reports every inconsistency in p at once (errors.Join), each
// naming the rule broken and wrapping ErrConfig; nil when p is usable.
func (p Params) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
		}
	}
	check(p.D >= 0 && p.Dlo >= 0 && p.Dhi >= 0 && p.Dscore >= 0 && p.Dout >= 0 && p.Dlazy >= 0,
		"degrees must be ≥ 0 (D=%d Dlo=%d Dhi=%d Dscore=%d Dout=%d Dlazy=%d)", p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout, p.Dlazy)
	check(p.Dlo <= p.D, "Dlo ≤ D broken (Dlo=%d D=%d)", p.Dlo, p.D)
	check(p.D <= p.Dhi, "D ≤ Dhi broken (D=%d Dhi=%d)", p.D, p.Dhi)
	check(p.Dout < p.Dlo || (p.Dout == 0 && p.Dlo == 0), "Dout < Dlo broken (Dout=%d Dlo=%d)", p.Dout, p.Dlo)
	check(p.Dout <= p.D/2, "Dout ≤ D/2 broken (Dout=%d D=%d)", p.Dout, p.D)
	check(p.Dscore <= p.D, "Dscore ≤ D broken (Dscore=%d D=%d)", p.Dscore, p.D)
	check(p.GossipFactor >= 0 && p.GossipFactor <= 1, "GossipFactor in [0,1] broken (%v)", p.GossipFactor)
	check(p.HeartbeatInterval > 0, "HeartbeatInterval > 0 broken (%v)", p.HeartbeatInterval)
	check(p.FanoutTTL > 0, "FanoutTTL > 0 broken (%v)", p.FanoutTTL)
	check(p.SeenTTL > 0, "SeenTTL > 0 broken (%v)", p.SeenTTL)
	check(p.PruneBackoff > 0, "PruneBackoff > 0 broken (%v)", p.PruneBackoff)
	check(p.UnsubscribeBackoff > 0, "UnsubscribeBackoff > 0 broken (%v)", p.UnsubscribeBackoff)
	check(p.FullMeshBackoff >= 0, "FullMeshBackoff ≥ 0 broken (%v)", p.FullMeshBackoff)
	check(p.IWantFollowupTime > 0, "IWantFollowupTime > 0 broken (%v)", p.IWantFollowupTime)
	check(p.GraftFloodThreshold > 0, "GraftFloodThreshold > 0 broken (%v)", p.GraftFloodThreshold)
	check(p.HistoryLength >= 1, "HistoryLength ≥ 1 broken (%d)", p.HistoryLength)
	check(p.HistoryGossip >= 1 && p.HistoryGossip <= p.HistoryLength,
		"1 ≤ HistoryGossip ≤ HistoryLength broken (HistoryGossip=%d HistoryLength=%d)", p.HistoryGossip, p.HistoryLength)
	check(p.MessageCacheBytes > 0, "MessageCacheBytes > 0 broken (%d)", p.MessageCacheBytes)
	check(p.PrunePeers >= 0, "PrunePeers ≥ 0 broken (%d)", p.PrunePeers)
	check(p.GossipRetransmission >= 1, "GossipRetransmission ≥ 1 broken (%d)", p.GossipRetransmission)
	check(p.MaxIHaveLength >= 1, "MaxIHaveLength ≥ 1 broken (%d)", p.MaxIHaveLength)
	check(p.MaxIHaveMessages >= 1, "MaxIHaveMessages ≥ 1 broken (%d)", p.MaxIHaveMessages)
	check(p.OpportunisticGraftTicks >= 1, "OpportunisticGraftTicks ≥ 1 broken (%d)", p.OpportunisticGraftTicks)
	check(p.OpportunisticGraftPeers >= 0, "OpportunisticGraftPeers ≥ 0 broken (%d)", p.OpportunisticGraftPeers)
	check(p.DirectConnectTicks >= 1, "DirectConnectTicks ≥ 1 broken (%d)", p.DirectConnectTicks)
	check(p.IDontWantMessageThreshold >= 0, "IDontWantMessageThreshold ≥ 0 broken (%d)", p.IDontWantMessageThreshold)
	check(p.MaxIDontWantMessages >= 0, "MaxIDontWantMessages ≥ 0 broken (%d)", p.MaxIDontWantMessages)
	check(p.IDontWantTTL >= 1, "IDontWantTTL ≥ 1 broken (%d)", p.IDontWantTTL)
	check(!p.Choke || (p.ChokeWindow >= 1 && p.ChokeMinUnchoked >= 1),
		"Choke needs ChokeWindow ≥ 1 and ChokeMinUnchoked ≥ 1 (ChokeWindow=%d ChokeMinUnchoked=%d)", p.ChokeWindow, p.ChokeMinUnchoked)
	check(p.ChokeMargin >= 0 && p.ChokeTimeout >= 0, "ChokeMargin ≥ 0 and ChokeTimeout ≥ 0 broken (%v, %v)", p.ChokeMargin, p.ChokeTimeout)
	check(p.ChokeMinRate >= 0, "ChokeMinRate ≥ 0 broken (%d)", p.ChokeMinRate)
	if err := p.prefs("").Validate(); err != nil {
		check(false, "%v", err)
	}
	return errors.Join(errs...)
}

// prefs returns p's strategy for a router in zone.
func (p Params) prefs(zone string) mesh.Prefs {
	return mesh.Prefs{Strategy: p.Strategy, Zone: zone, Remote: p.RemoteMeshPeers, RandomShare: p.RandomMeshShare}
}
