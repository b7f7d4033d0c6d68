package node

import (
	"context"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// DropCause names why the node itself (not the router or the transport)
// dropped something. Each is counted in Stats.NodeDrops.
type DropCause uint8

const (
	dropQueueFull           DropCause = iota // a payload refused by a full send queue
	dropPeerGone                             // a send to a peer that left
	dropSendError                            // another transport send error
	dropShedPeer                             // a payload from a shed (graylisted) peer
	dropValidationQueueFull                  // validation pool full: message ignored
	dropNoPeers                              // an own message published with no peer to send it to
	dropMemberQueueFull                      // a membership payload waiting for a session was dropped
	dropMemberUnreachable                    // a membership payload whose member could not be dialled
	dropMemberWatchFull                      // a member event found a MemberWatch full
	dropBeaconRateLimited                    // a LAN beacon over the per-source or global rate
	dropBeaconInvalid                        // a LAN beacon malformed, badly signed, or without the NetworkKey's MAC
	dropBeaconStale                          // a LAN beacon outside the time window, or replayed
	dropBeaconAddress                        // a LAN beacon advertising an address other than its source
	dropTopicEventFull                       // a topic peer event found a PeerEvents watch full
	dropPolicyMismatch                       // a GossipSub payload from a peer refused for its signature policy (policy.go)
	numNodeDrops
)

// NumDropCauses is the number of node drop causes, the length of
// Stats.NodeDrops.
const NumDropCauses = int(numNodeDrops)

var nodeDropNames = [numNodeDrops]string{"send-queue-full", "peer-gone", "send-error", "shed-peer", "validation-queue-full", "published-to-no-peer",
	"member-queue-full", "member-unreachable", "member-watch-full",
	"beacon-rate-limited", "beacon-invalid", "beacon-stale", "beacon-address-mismatch",
	"topic-event-full", "signature-policy-mismatch"}

// String returns the cause's lower-case name.
func (c DropCause) String() string {
	if c < numNodeDrops {
		return nodeDropNames[c]
	}
	return "unknown"
}

// counters are the node's own counters, owned by the loop.
type counters struct {
	drops                          [numNodeDrops]uint64
	payloadsOut, bytesOut, bytesIn uint64
	published, dials, dialFailures uint64
	shed                           uint64
	memBytesIn, idleEnded          uint64
	delivery, publish              LatencyHistogram
}

func (c *counters) drop(d DropCause) { c.drops[d]++ }

// TopicStats describe one joined topic.
type TopicStats struct {
	Name string
	// Mesh are the topic's mesh peers, sorted.
	Mesh []peer.ID
	// Subscriptions is the number of live subscriptions; Lost the messages
	// they dropped because their buffers were full.
	Subscriptions int
	Lost          uint64
}

// PeerStats describe one connected peer.
type PeerStats struct {
	ID       peer.ID
	Addr     string
	Outbound bool
	Direct   bool
	// Score is the peer's score (0 with scoring off).
	Score float64
	// Zone is the peer's zone as the router places it for the strategy
	// (Config.Gossip.Strategy): from the peer's membership record; ""
	// when the record names none or is not known yet.
	Zone string
	// RTT, QueuedBytes, SendRate (bytes/s) and Loss (smoothed fraction)
	// come from the transport.
	RTT         time.Duration
	QueuedBytes int
	SendRate    float64
	Loss        float64
	// NetworkKeyID names the network key the session was made with
	// (transport.NetworkKeyID; "" without a network key).
	NetworkKeyID string
}

// Stats is a snapshot of a node's state and counters, owned by the caller.
// Counters are totals since New.
type Stats struct {
	ID     peer.ID
	Peers  []PeerStats // sorted by ID
	Topics []TopicStats
	// Router are the router's counters: messages in and out, duplicates,
	// validation outcomes, drops by router.DropCause, and more.
	Router router.Stats
	// Transport are the transport's counters: packets and bytes on the
	// wire, handshakes, drops by transport.DropCause.
	Transport transport.Stats
	// NetworkKeys are the keys of the network keyring, primary first, with
	// the sessions and handshakes made with each: during a key rotation,
	// the old key is out of use when no node shows a session on it (see
	// SetNetworkKeys).
	NetworkKeys []transport.NetworkKeyStats
	// NodeDrops counts the node's own drops by DropCause.
	NodeDrops [NumDropCauses]uint64
	// PayloadsOut, BytesOut: payloads and bytes queued on the transport;
	// BytesIn: payload bytes received. Published: Publish calls that
	// reached the router. Dials and DialFailures: the peer manager's dials.
	PayloadsOut, BytesOut, BytesIn, Published, Dials, DialFailures uint64
	// Shed counts peers disconnected because they were graylisted;
	// Restarts counts peers seen restarting (a new process of a connected
	// peer's identity handshook; the transport reported the old instance
	// down and the new one up), equal to Transport.Restarts.
	Shed, Restarts uint64
	// Trimmed counts peers disconnected because more than PeersHigh were
	// connected; Refused counts sessions ended at once because the peer
	// was disconnected less than DisconnectBackoff ago.
	Trimmed, Refused uint64
	// SlowTrimmed counts sessions PreferFast closed for being slow, and
	// Explored its exploring dials beyond PeersLow (Gossip.Strategy).
	SlowTrimmed, Explored uint64
	// Sessions is the number of transport sessions: the peers, and the
	// membership-only sessions of recent probes. IdleEnded counts
	// membership-only sessions ended for lack of traffic.
	Sessions  int
	IdleEnded uint64
	// Members counts the membership view by state (alive, suspect, dead,
	// left; this node included). Membership are its protocol counters
	// (probes, acks, suspicions, refutations, bytes...); MembershipBytesIn
	// the membership payload bytes received.
	Members           [4]int
	Membership        membership.Stats
	MembershipBytesIn uint64
	// Peering are the peer manager's counters (dials, failures, bans,
	// trims, candidates).
	Peering peering.Stats
	// DeliveryLatency: for each message received from a peer and
	// delivered to local subscriptions, the time from the event loop's
	// handling of the payload that brought its first copy to the
	// message's hand-over to the subscriptions' buffers, on the node's
	// clock. It is what the node adds to the network's latency: the
	// router's checks and the topic's validators, asynchronous ones and
	// their queue included; not the time on the wire (messages carry no
	// send time), nor the subscriber's own wait. Own messages are not
	// counted.
	DeliveryLatency LatencyHistogram
	// PublishLatency: for each own message queued to at least one peer
	// at once, the time from Publish (or PublishBatch) handing it to the
	// event loop, once its publish-side validator ran and the waits its
	// topic asks for (MinPeers, WaitForRoom) ended, to the first payload
	// carrying it queued on the transport: the loop's backlog, the
	// router and the packing. For a batch, every message counts the time
	// to the batch's first payload (the first copies of all go out
	// interleaved). Messages that reach no peer at once (published to
	// nobody, or every payload refused) are not counted.
	PublishLatency LatencyHistogram
}

// Drops returns every non-zero drop counter of the node, the router and
// the transport, keyed "layer/cause" (e.g. "router/duplicate").
func (s *Stats) Drops() map[string]uint64 {
	m := map[string]uint64{}
	for i, v := range s.NodeDrops {
		if v > 0 {
			m["node/"+DropCause(i).String()] = v
		}
	}
	for i, v := range s.Router.Drops {
		if v > 0 {
			m["router/"+router.DropCause(i).String()] = v
		}
	}
	for i, v := range s.Transport.Drops {
		if v > 0 {
			m["transport/"+transport.DropCause(i).String()] = v
		}
	}
	return m
}

// Stats returns a snapshot. After Close it returns the transport's counters
// only, and ErrClosed.
func (n *Node) Stats() (Stats, error) {
	s := Stats{ID: n.ID()}
	err := n.do(context.Background(), func(time.Time) { n.fillStats(&s) })
	s.Transport = n.conn.Stats()
	s.NetworkKeys = n.conn.NetworkKeyStats()
	s.Restarts = s.Transport.Restarts
	for i := range s.Peers {
		if ps, ok := n.conn.PeerStats(s.Peers[i].ID); ok {
			s.Peers[i].RTT, s.Peers[i].QueuedBytes = ps.RTT, ps.QueuedBytes
			s.Peers[i].SendRate, s.Peers[i].Loss = ps.SendRate, ps.Loss
			s.Peers[i].NetworkKeyID = ps.NetworkKeyID
		}
	}
	return s, err
}

// fillStats copies the loop's state into s. Called on the loop.
func (n *Node) fillStats(s *Stats) {
	s.Router = n.r.Stats()
	s.NodeDrops = n.counts.drops
	for i := range s.NodeDrops {
		s.NodeDrops[i] += n.lanDrops[i].Load()
	}
	s.PayloadsOut, s.BytesOut, s.BytesIn = n.counts.payloadsOut, n.counts.bytesOut, n.counts.bytesIn
	s.Published, s.Dials, s.DialFailures = n.counts.published, n.counts.dials, n.counts.dialFailures
	s.Shed = n.counts.shed
	pst := n.pm.Stats()
	s.Trimmed, s.Refused = pst.Trims, pst.Refused
	s.SlowTrimmed, s.Explored = pst.SlowTrims, pst.Explores
	s.Sessions, s.IdleEnded = len(n.sessions), n.counts.idleEnded
	s.Members = n.mem.StateCounts()
	s.Membership, s.MembershipBytesIn = n.mem.Stats(), n.counts.memBytesIn
	s.Peering = pst
	s.DeliveryLatency, s.PublishLatency = n.counts.delivery, n.counts.publish
	for _, id := range n.r.Peers() {
		pi := n.peers[id]
		ps := PeerStats{ID: id}
		if pi != nil {
			ps.Addr, ps.Outbound, ps.Direct = pi.addr.String(), pi.outbound, pi.direct
		}
		if n.scorer != nil {
			ps.Score = n.scorer.Score(id)
		}
		ps.Zone = n.r.Placement(id).Zone
		s.Peers = append(s.Peers, ps)
	}
	for _, name := range sortedKeys(n.topics) {
		h := n.topics[name]
		ts := TopicStats{Name: name, Mesh: n.r.Mesh(name)}
		h.mu.Lock()
		ts.Subscriptions = len(h.subs)
		for _, sub := range h.subs {
			ts.Lost += sub.Lost()
		}
		h.mu.Unlock()
		s.Topics = append(s.Topics, ts)
	}
}
