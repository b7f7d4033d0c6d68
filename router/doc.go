// Package router is the GossipSub v1.1/v1.2 router (libp2p specs
// pubsub/gossipsub) as a deterministic state machine: no goroutines, no
// sockets, no clock reads, no global randomness. Time comes in as the now
// argument of every input; randomness comes from the seeded *rand.Rand in
// Config. Same seed and same inputs give the same outputs, byte for byte.
//
// # Driving a Router
//
// A Router is driven the way etcd-raft's RawNode is: call input methods,
// then, while HasReady, take the Output with Ready, act on it and call
// Advance:
//
//	for r.HasReady() {
//		out := r.Ready()
//		// send out.Sends, deliver out.Deliveries, start out.Validations,
//		// handle out.Events, note out.Published, arm a timer for out.Deadline
//		r.Advance()
//	}
//
// The owner never tracks which inputs produced work: HasReady knows.
//
// Inputs (each takes now, which must never go backwards):
//
//   - AddPeer / RemovePeer: a connection to a peer came up or went down.
//     AddPeer takes the direction (for the Dout quota), the peer's opaque
//     address record (echoed in peer exchange), its IP (for scoring) and
//     whether it is a direct (explicit) peer.
//   - HandlePayload: a payload arrived from a peer. The router checks the
//     graylist, decodes it with rpc.Decode and handles it. HandleRPC does
//     the same for an RPC already decoded (tests, the simulator).
//     HandlePayloads: the payloads of one round of the owner's event loop,
//     with HandlePayload's effects, their new signatures verified in one
//     batch by Config.Verifier.
//   - Join / Leave / Publish: the application's calls.
//   - PublishBatch: several own messages at once, each peer's share
//     ordered so that the first copies of all of them come first.
//   - SetValidator: how a topic's messages are validated, with the
//     topic's own timeout and concurrency bound (no output).
//   - SetTopicMessageID: a topic's own message-id function (no output).
//   - Blacklist / Unblacklist: block a peer (it is removed, refused, and
//     its input and the messages it authored are dropped), or lift that.
//   - ValidationDone: the result of an asynchronous validation requested
//     in an earlier Output.
//   - Tick: the deadline of the last Output has passed. Tick runs the
//     heartbeat (mesh maintenance, gossip, fan-out, cache shifts, score
//     refresh, broken IWANT promises) and expires validations.
//
// Output (Ready returns it; it holds everything produced since the
// previous Ready, so several inputs may be batched before one Ready). It
// stays valid until Advance, even across inputs made while acting on it
// (a ValidationDone for a validation the owner cannot run, a RemovePeer
// for a peer it sheds): their output goes into the next Ready. Act on it
// in this order:
//
//  1. Sends: the RPC parts for each peer, at most one Send per peer, in a
//     deterministic order. Pack each with rpc.Pack and hand the payloads to
//     the transport; a Send with GRAFT, PRUNE or subscriptions is control
//     traffic, one with messages is message traffic, one with only
//     IHAVE/IWANT is gossip, the first to drop under pressure. A Send to
//     a peer that has since gone may simply be discarded.
//  2. Deliveries: messages accepted for local subscribers, in order,
//     including the router's own publishes (Local) in joined topics.
//  3. Validations: messages to validate asynchronously. Run each and call
//     ValidationDone with its ID within Config.ValidationTimeout; later
//     results are dropped and counted. No message is forwarded before it
//     is accepted.
//  4. Events: mesh changes (EventGraft, EventPrune), peers joining and
//     leaving joined topics (EventSubscribe, EventUnsubscribe), blacklisted
//     peers to disconnect (EventBlacklisted), peer exchange
//     (EventPeerExchange: peers the node may dial; the router never
//     dials), graylisting, rejections, drops and broken promises.
//  5. Published: one entry per local Publish with the number of peers its
//     first copies went to; the Sends that carry them have Own set, so the
//     owner can tell its caller whether the message left at all.
//  6. Deadline: call Tick at this time (one timer is enough). After the
//     first input there is always a heartbeat scheduled.
//
// # What the router decides
//
// Everything of GossipSub v1.1 and v1.2 that is not I/O: the mesh per
// joined topic within [Dlo, Dhi] (Dscore best kept, Dout outbound), fan-out
// for topics published to without joining, flood publishing, the seen
// cache and message cache, IHAVE/IWANT gossip with its limits and promises,
// GRAFT/PRUNE with backoff and peer exchange, direct peers, IDONTWANT,
// signature policy, validation (synchronous inline, asynchronous through
// Validations, with timeouts and in-flight limits), and every score
// threshold when a Scorer is set. Every drop is counted in Stats.
// Among the peers those rules allow, Params.Strategy chooses grafts, what
// an oversubscribed mesh keeps, opportunistic grafts, gossip targets and
// fan-out, keeps the zone quotas of PreferLocal and HubAndSpoke, and
// orders a message's copies (mesh.Prefs.Pick and mesh.Prefs.Order).
//
// # Buffers and ownership
//
// The Output and everything it references are owned by the router and
// valid until Advance (or the next Ready), which reuses them: copy what
// must live longer. Message bytes ([]byte fields of rpc.Message) are never written by
// the router, so they may be kept, read-only. The router keeps the payloads
// given to HandlePayload, the RPC memory given to HandleRPC, the data given
// to Publish and the Record given to AddPeer: callers must not modify them
// afterwards.
//
// # Concurrency
//
// A Router is not safe for concurrent use. The node runs it on its event
// loop goroutine; the simulator on its scheduler. The Scorer and
// synchronous validators are called on the same goroutine, inline.
package router
