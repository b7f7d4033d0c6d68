// Package peering is the peer manager: a pure, sans-IO, deterministic
// state machine that decides whom to dial and whom to disconnect, from the
// membership view, the configured seeds and direct peers, peer exchange,
// the router's scores and the water marks Low and High.
//
// It starts no goroutine, opens no socket and never reads the clock:
// inputs are method calls carrying now (AddSeed, AddDirect, Offer,
// Forget, DialFailed, Connected, DialReached, Disconnected, Ban, Tick),
// outputs are drained etcd-raft style (HasReady, Ready, Advance) as
// dials, disconnects and one deadline. Randomness comes from Config.Rand and
// every iteration that shapes output is in a stable order, so the same
// seed and inputs give the same outputs; node and the simulator both run
// it.
//
// # Decisions
//
//   - Dials toward Low. While fewer than Low peers are connected (dials in
//     flight count as connected, except those of direct peers), each
//     round dials candidates from the whole candidate table (seeds that
//     answered, members, exchange records alike), so that no one seed
//     carries everybody's connections. Connected peers, dials in flight,
//     banned peers, backing-off candidates and Config.Self are skipped.
//     Config.Prefs orders the candidates (mesh.Prefs.Pick), given the
//     zones of the live sessions and dials in flight: Uniform picks at
//     random; PreferLocal dials its own zone but keeps Remote+1
//     cross-zone sessions (one more than the router's cross-zone mesh
//     quota, since a mesh grafts only among sessions); HubAndSpoke one
//     session in each other zone, then its own zone; PreferFast knows no
//     RTT before a session, so it dials at random.
//   - Zones. A candidate's zone comes with its Target (membership
//     metadata, configuration); a session's zone is the View's
//     Placement, else its candidate's. A zone is not part of a target's
//     identity (Target.Same). The latest zone offered is kept; an empty
//     zone never erases one, and a second-hand record does not change a
//     member's or configured peer's known zone. An unknown zone counts
//     as another zone than the node's (unless the node's is unknown too).
//   - Seeds first. A seed (AddSeed, Config.Bootstrap) that never answered
//     is dialled every round it is not backing off, whatever the water
//     marks, before the random picks; once a session with it came up it
//     is an ordinary candidate.
//   - Direct peers. A direct peer that is down is always dialled (with the
//     failure backoff), first, and does not count against Low. It is
//     never trimmed, never banned (Ban does nothing) and never evicted.
//   - Bounded dialing. At most MaxDialing dials are in flight. A dial is in
//     flight until Connected or DialFailed reports it, or DialTimeout
//     passes without either (it then counts as failed), so that a lost
//     answer does not wedge a slot.
//   - Failure backoff. A failed dial is retried after DialBackoff, doubled
//     per consecutive failure up to MaxDialBackoff, ±20% jitter. A session
//     that ends within StableSession counts as a failed dial (a peer
//     that keeps ending our sessions at once is redialled ever more
//     slowly); a longer one resets the failures and allows a redial after
//     DialBackoff.
//   - Desperate mode. When nobody is connected and nothing is in flight
//     after a round's choices (every candidate is backing off, banned or
//     forgotten), every seed is dialled again regardless of its backoff,
//     though not more often than once per DialBackoff.
//   - Trim above High, down to High: never a direct peer (even if more
//     than High remain); peers the View protects (in some topic mesh)
//     only when no other is left, so that High bounds the node's peers;
//     stale peers (in PRUNE backoff wherever they could be grafted) first,
//     so that a seed that every newcomer dials keeps graftable peers;
//     peers Config.Prefs does not want before those it wants (it picks
//     High peers: direct peers first, then class by class as the rules
//     above keep them, so PreferLocal keeps Remote+1 cross-zone peers,
//     HubAndSpoke one per other zone, PreferFast the lowest RTTs save a
//     random share; under Uniform it wants all); inbound before
//     outbound; lowest score first; ties by smaller ID. A
//     trimmed peer is kept out for BanDuration like a banned one.
//   - Bans. Ban keeps a peer out for BanDuration: it is not dialled, and
//     Connected refuses it (returns false; the caller ends the session).
//     Banning a connected peer outputs a Disconnect. Unban lifts a ban,
//     for the application's explicit Connect.
//   - Direction. A session is outbound or inbound as Connected says:
//     outbound only when it is the authenticated result of the caller's
//     own dial. Only an outbound session (or DialReached, our dial that
//     found the peer's session up) completes a bare-address dial, names a
//     bare-address seed or direct peer, and verifies an address; an
//     inbound session is matched by ID only, so that a peer cannot claim
//     another's address to pass for a seed, or for a direct peer (which
//     escapes bans).
//   - Deadline. After the first Tick, Output.Deadline is never zero: it is
//     the next round (Interval after the last Tick) or, earlier, the first
//     moment a candidate the Manager wants stops backing off or being
//     banned, or a dial in flight times out.
//   - Bounded memory. Seeds and direct peers come from configuration and
//     are kept. Learnt candidates (members and exchange records) are at
//     most MaxCandidates, in LRU lists: room is made by evicting the least
//     recently offered exchange record that was never verified, then, for
//     a member or a verified newcomer, the oldest verified exchange record,
//     then, for a member only, the oldest member; an unverified exchange
//     offer that finds no unverified record to evict is dropped, so a
//     flood of records cannot push out candidates that answered. Forget
//     removes a member; a forgotten seed is dialled only in desperate
//     mode. Dials in flight are at most MaxDialing; sessions and bans are
//     bounded by the caller's connections and ban rate within BanDuration
//     (expired bans are dropped at Tick).
//   - Addresses. The Manager never resolves addresses: it compares them as
//     strings. An address is verified when our own dial of it came up as
//     the candidate's ID (an outbound Connected); a failed dial of it
//     makes it unverified again. A member offer moves a learnt
//     candidate's address; an exchange offer moves only an unverified
//     exchange record's, and not a connected peer's (it keeps its
//     session's address); configured seed and direct addresses are kept.
//     So second-hand records (peer exchange, LAN beacons) cannot poison
//     the address of a peer we reached. A peer that connects without
//     being a candidate becomes an exchange candidate at its session's
//     address (verified when we dialled it).
package peering
