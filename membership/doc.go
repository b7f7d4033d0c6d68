// Package membership is SWIM (Das, Gupta, Motivala: "SWIM: Scalable
// Weakly-consistent Infection-style Process Group Membership Protocol",
// 2002) with the Lifeguard extensions (Dadgar, Phillips, Currey: "Lifeguard:
// Local Health Awareness for More Accurate Failure Detection", 2018) as a
// deterministic state machine: no goroutines, no sockets, no clock reads,
// no global randomness. Time comes in as the now argument of every input;
// randomness from Config.Rand. Same seed and inputs, same outputs.
//
// # Driving a Membership
//
// Inputs: Join (a session to a seed or any member is up), HandlePayload (a
// membership payload arrived), Tick (the deadline passed), Leave, SetTags,
// Unreachable (a send could not be delivered). After inputs, drain:
//
//	for m.HasReady() {
//		out := m.Ready()
//		// deliver out.Sends, handle out.Events, arm one timer at out.Deadline
//		m.Advance()
//	}
//
// # Protocol
//
// Failure detection: one member per ProbeInterval, in randomized
// round-robin order, is pinged; without an ack in ProbeTimeout,
// IndirectChecks helpers ping it for us (ping-req) and nack when it does not
// answer them; without an ack by the probe's end — max(ProbeInterval,
// 3×ProbeTimeout) — it is suspected. Lifeguard's local health multiplier
// (Health) scales our probe interval and timeouts by Health+1: it rises on
// probes that got neither ack nor nack, per missed nack, and when we must
// refute a suspicion of ourselves, and falls on every acked probe.
//
// Suspicion: a suspect has SuspicionTimeout(c, k, min, max) from the first
// suspicion, c the independent confirmations so far, k = min(IndirectChecks,
// N−2), min = SuspicionMult × max(1, log10 N) × ProbeInterval, max =
// SuspicionMaxTimeoutMult × min. A suspect that hears of its suspicion
// raises its incarnation and announces itself alive; a node whose Tick comes
// more than ProbeInterval late (it stalled) does so without waiting.
//
// Dissemination: updates go in a queue bounded by MaxQueue (one per
// member), piggybacked on every ping, ack, ping-req and nack, and sent by a
// gossip round every GossipInterval to GossipNodes up members only while
// the queue is not empty; each at most RetransmitMult × max(2, ceil(log10(N+1)))
// times, least sent first. Dead members are not gossiped to; instead a
// member we hold suspect or dead gets its own state first in anything we
// send it, and in replies to it, so that it refutes.
//
// Anti-entropy and healing: Join sends our state and asks for the other's
// (push-pull). Every PushPullInterval × max(1, ceil(N/PushPullScaleNodes))
// a push-pull goes to one random up member. Dead and left members are
// retained for DeadRetention (an LRU bounded by MaxMembers). Every
// PushPullInterval (unscaled) one random retained dead member is pinged;
// if it acks, a push-pull with it follows. After a partition heals, those
// pings find the other side, and the exchanged states make each side refute
// the other's verdict, node by node, as SWIM's incarnation rule says.
//
// # Wire format
//
// See wire.go. Payloads are framed by rpc.AppendMembership.
//
// # Bandwidth (LAN params)
//
// Sizes with the payload framing, before the transport's ~60 bytes: a ping
// 37–40 bytes, an ack 5–8, each piggybacked update 36–45 (suspect, dead),
// ~70 (alive with a 15-byte address and a short zone). A push-pull entry is
// ~70 bytes, so a state is ~70 KB at 1,000 members and ~700 KB at 10,000.
//
// Per node per second, sent:
//   - probes: 2 pings and, on average, 2 acks: 4 × (≈45 + 60) ≈ 0.4 KB/s at
//     any N (ping-reqs and nacks only when probes fail).
//   - gossip: nothing in a quiet cluster; while one update spreads, about
//     RetransmitMult × ceil(log10(N+1)) = 12 sends of ≈100 bytes per node
//     at 1,000 or 10,000 nodes (15 at 10,001+), ≈1.2 KB per update per node
//     in total, piggybacking on probes where they can.
//   - push-pull: each node starts one per 30 s × ceil(N/64) and answers one
//     on average, so 2 × 70 B × N / (30 s × N/64) ≈ 0.3 KB/s at 1,000 and at
//     10,000 (the scaling keeps it constant; 16 exchanges of 70 KB per 7.8
//     min at 1,000, 1.2 h between exchanges for a node at 10,000).
//
// Steady state: ≈0.7 KB/s per node at 1,000 and at 10,000 members.
//
// # Detection time
//
// memberlist's DefaultLANConfig (ProbeInterval 1 s, ProbeTimeout 500 ms,
// SuspicionMult 4, SuspicionMaxTimeoutMult 6) at 1,000 nodes: minimum
// suspicion 4 × log10(1000) × 1 s = 12 s, maximum 72 s; about 1.6 s until
// some node probes a crashed node, 1 s to fail the probe, then 12 s once
// confirmations arrive: ≈15 s to declare a crash, more before the
// confirmations (up to 72 s).
//
// LANParams at 1,000 nodes: minimum suspicion 2 × 3 × 0.5 s = 3 s, maximum
// 12 s; a crashed node is first probed after ≈0.4 s on average (each of
// the N nodes probes it with probability 1/N per 0.5 s period), the probe
// fails 1.2 s later, two more nodes' probes confirm within ≈1 s so the
// timer is 3 s, then the dead update reaches every node in ≈1–1.5 s (log4
// N gossip rounds of 0.2 s plus latency): ≈5–6 s in total. A node stalled
// for 2 s is suspected at the earliest 1.1 s into its stall and refutes as
// soon as it runs again, leaving ≈2 s for its refutation to spread before
// the first timer (3 s after the first suspicion) expires.
package membership
