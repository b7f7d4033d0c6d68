// Package node is gwyh's runtime: it runs three sans-IO state machines —
// router.Router (GossipSub), membership.Membership (SWIM with Lifeguard)
// and peering.Manager (whom to dial and whom to drop) — over one
// transport.Conn (encrypted UDP), with the clock and a pool of validation
// workers.
//
// # Structure
//
// One event-loop goroutine owns the three. Its inputs are the transport's
// events (payloads, sessions up and down), one timer armed at the earliest
// of their deadlines (from Config.Clock), calls from topic handles, the
// results of validation workers and the results of dials. After each batch
// of inputs it acts on their Outputs (etcd-raft style: HasReady, Ready,
// Advance): router RPCs are packed with rpc.Pack and queued on the
// transport at control, message or gossip priority; deliveries go to the
// bounded buffers of subscriptions; validations go to the worker pool;
// membership payloads go to members at control priority; member events
// feed the peer manager, the router and MemberWatch channels; the peer
// manager's dials and disconnects are carried out.
//
// # Sessions, peers and members
//
// Membership payloads are a gwyh field of the RPC schema (rpc field 15),
// carried over the same authenticated sessions as GossipSub, so the
// NetworkKey closes membership as it closes topics. Every session may carry
// membership; a session is a peer of the router (and counts against
// PeersLow/PeersHigh) only when one side dialled it to be one: the peer
// manager's dials, Connect and direct peers send a hello (an empty
// GossipSub RPC with the node's signature policy) and the other side links
// on its first GossipSub payload, answering with its own hello. A peer
// whose hello announces another SignaturePolicy is refused at once, with
// one Warn line naming both policies, and counted as the node drop
// signature-policy-mismatch: nodes of different policies would otherwise
// form meshes and deliver nothing.
// A peer is outbound (GossipSub's Dout counts those) only when our own
// Dial returned its ID; a session the peer opened is dialled before it
// becomes an outbound peer. Addresses the node acts on are proven: the
// transport's session address (a round trip reached it) is the peer's IP
// for P6 (IP colocation) scoring and the address the peer manager learns,
// and only our own dial names a seed or direct peer given by address.
// Config.Bootstrap entries are seeds: the peer manager dials them, and an
// outbound peer that membership does not know is joined through. From then
// on the peer manager dials members of the view at random toward PeersLow,
// so nobody's connections hang on one seed. A member declared dead or left
// is dropped as a peer at once, without waiting for the transport's
// timeout; Close announces a graceful leave.
//
// Probing a member with no session opens one (the payload waits, at most 8
// per member, while at most 16 dials run), and a membership-only session
// ends after 20 s without membership traffic. The cost per node per second
// of that, with membership.LANParams (4 probes a second): at 1,000
// members almost every probe target is one the node has no session with,
// so about 4 handshakes initiated and 4 answered per second (a handshake
// is one round trip and about 500 bytes, an X25519 exchange and an
// ed25519 signature and verification each side: about 0.3 ms of CPU), and
// about 80 sessions open besides the peers; at 10,000 members the same:
// the rate is set by the probe interval, not by the cluster's size, and
// the sessions by the idle timeout. Membership's own traffic is about
// 0.8 KB/s per node in a formed cluster (membership's package doc and
// BenchmarkSteadyState).
//
// The peer manager disconnects (transport.Conn.Disconnect) graylisted peers
// (a ban) and, above Config.PeersHigh, the surplus (package peering's
// trim). A banned or trimmed peer is neither dialled nor accepted as a
// peer for Config.DisconnectBackoff; only Connect lifts that, for the ID
// its own dial returned.
//
// # LAN discovery
//
// With Config.LANDiscovery the node multicasts a beacon every LANInterval:
// its ID, a timestamp and the port to dial, signed with its identity key
// (and MACed under the NetworkKey when there is one; with a keyring,
// NetworkKeys, under its primary key, and accepted under any of its keys).
// A receiver rate-limits
// beacons per source IP and globally before checking them, refuses stale,
// replayed or badly signed ones and those that advertise an IP other than
// their source (no reflection onto a third party), counts every refusal in
// Stats.NodeDrops (beacon-*), and offers the rest to the peer manager as
// unverified exchange records: bounded, evicted first, and never moving
// the address of a peer the node reached or is connected to.
//
// # Typed topics
//
// Applications normally use package topic, which builds typed handles on
// the lower-level API here: JoinTopic returns a TopicHandle with Publish,
// Subscribe, Peers and WaitPeers over raw bytes (the validator is a
// TopicOptions field).
//
// What go-libp2p-pubsub users look for, and where it is: ListPeers is
// TopicHandle.Peers; the TopicEventHandler is TopicHandle.WatchPeers
// (PeerJoin, PeerLeave, bounded, drops counted as topic-event-full);
// Relay is a joined topic without a Subscription (JoinTopic relays);
// WithMessageIdFn per topic is TopicOptions.MessageID;
// WithValidatorTimeout, WithValidatorConcurrency and WithValidatorInline
// are TopicOptions.ValidatorTimeout, ValidatorConcurrency and
// ValidateInline; Topic.SetScoreParams is Node.SetTopicScoreParams;
// BlacklistPeer is Node.Blacklist (Unblacklist lifts it); MessageBatch is
// TopicHandle.PublishBatch; WithReadiness(MinTopicSize(n)) is
// TopicOptions.MinPeers or TopicHandle.WaitPeers.
//
// # Concurrency
//
// Every exported method of Node, TopicHandle and Subscription is safe for
// concurrent use. Close ends every goroutine the node started before it
// returns.
package node
