// Package sim is a deterministic discrete-event network simulator that runs
// thousands of real router.Routers on virtual time.
//
// A run is a pure function of its Scenario and seed: the loop pops
// events from a queue ordered by virtual time, ties broken by the node
// whose event pushed them and then in that node's push order, every random
// choice comes from seeded math/rand/v2 sources (the run's, and each
// node's for its packets' loss and jitter), and no wall clock is read
// while it runs. Since no link is faster than the run's shortest link
// delay (the lookahead), the loop handles each window of that length node
// by node, every node's events in time order, with the result a handling
// in time order gives (TestWindowsKeepTheRun) and each node's state hot in
// the cache while its events run; events that touch several nodes (a
// publish, a completed dial, a crash) end a window. Several goroutines may
// share a window's nodes (RunOptions.Workers) with the same result. A closed connection's
// far end learns it one link delay later, as a real peer does. Payloads go through the real rpc.Pack
// and router.HandlePayload (and so rpc.Decode), so bytes are counted as on
// the wire, plus Network.Overhead per packet.
//
// The network model (Network) has per-link latency (constant, jittered or
// a zone matrix), packet loss, each node's upload bandwidth (so fan-out of
// large messages takes serialization time), partitions that split and
// heal, and churn. Honest nodes run a Router, scored by score.Scorer when
// the scenario turns scoring on; attackers (Attack) are lightweight
// behaviours that graft and never forward, spam invalid messages, advertise
// with IHAVE and never answer, or run a Router honestly until they turn
// (covert flash).
//
// Run checks invariants as it goes (mesh degrees within [Dlo, Dhi] after a
// heartbeat where the node has the peers to do so, no delivery of an
// invalid message, at most one delivery per message per node, mesh peers
// are connected peers) and returns a Result: delivery ratio, latency
// percentiles in virtual milliseconds, duplicates, bytes on the wire, the
// control share of bytes, the mesh degree histogram, delivery over time,
// recovery time after a disruption and scores by node class over time.
//
// Honest nodes also run membership (SWIM + Lifeguard) and the peer manager
// (package peering), driven as node drives them: every node knows one seed,
// connections come from the peer manager's dials over the membership view,
// and a dead member's connection ends when membership declares it (see
// cluster.go). Crashes, stalls and churn exercise them; Result reports
// detection times, false positives, view convergence and membership bytes.
// Runs of more than AutoDirectoryNodes honest nodes (or any run with
// Scenario.MembershipMode MembershipDirectory) run no membership: a shared
// directory of the live honest nodes feeds each peer manager a random
// sample, with SWIM's delays (see directory.go), since N full views do not
// fit in memory at 10,000 nodes.
//
// Every honest router and peer manager runs Scenario.Strategy (the mesh
// strategy) in its node's zone; routers learn each peer's zone and the RTT
// a node would measure when the connection comes up, and Result adds the
// bytes that cross zones and the latency by zone pair. Attack.Near puts
// attackers in their victims' zone as their fastest peers.
//
// Scenarios lists the named scenarios; cmd/gwyh's "sim" subcommand runs
// them. See README.md in this directory for results and a guide to tuning
// score parameters with the simulator.
package sim
