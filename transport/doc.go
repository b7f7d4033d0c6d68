// Package transport is gwyh's encrypted UDP transport: Noise (IK/XX, optional
// PSK) handshakes bound to ed25519 identities, AEAD-sealed packets with a
// sliding replay window, fragmentation with bounded reassembly, per-peer
// priority queues paced by a loss-driven AIMD controller, keepalives, RTT and
// peer-down detection, rekeying, and a stateless cookie under handshake load.
//
// Use:
//
//	c, err := transport.Listen("0.0.0.0:7946", id, transport.Options{})
//	peerID, err := c.Dial(ctx, "10.0.0.2:7946", peer.ID{}) // XX: any peer
//	err = c.Send(peerID, payload, transport.PriorityMessage)  // copies payload
//	for ev := range c.Events() { ... }                        // payloads, peer up/down
//	err = c.Disconnect(peerID)                                // end one session; the peer is told
//	c.Close()                                                 // all goroutines gone
//
// A Conn owns one socket (real UDP with recvmmsg/sendmmsg on Linux, or any
// Socket such as the in-memory twin in transport/bindtest; on Linux runs of
// same-size datagrams to one peer go out as one segmented send, UDP GSO,
// and, with Options.CoalesceReceives, come in coalesced, UDP GRO, where the
// kernel allows) and four
// goroutines: the reader (opens packets, reads handshake responses), the
// handshake worker (answers initiations, the DH and signature work an
// attacker can ask for, so that it never delays data), the writer (the
// only one that seals and writes; it batches) and a timer (keepalives,
// receiver reports, rekeys, timeouts). Everything received reaches the user
// through one channel, Conn.Events, which the user must keep draining (a
// fifth goroutine feeds it from a backlog that grows only with demand).
//
// Delivery is at most once: a payload is lost with its datagram (or with any
// one of its fragments); nothing is retransmitted. Every drop is counted in
// Stats or PeerStats, on Linux even the kernel's when the socket's receive
// buffer is full (DropSocketOverflow, from SO_RXQ_OVFL).
//
// A peer is up from its EventPeerUp to its EventPeerDown, which comes when
// nothing authentic arrived for PeerDownTimeout, when either side called
// Disconnect (an authenticated bye frame tells the other), or when the peer
// restarted (a handshake from its identity with a new Noise static key and a
// greater instance epoch: the old instance goes down and the new one comes
// up), or when its session keys reached RejectAfterTime because rekeys kept
// failing. Rekeys are silent. When two nodes dial each other at once, the
// lower peer ID's handshake wins on both sides (see crossed.go).
//
// Wire format (all integers little-endian), see wire.go and frames.go:
//
//	data:      type(1) 0(3) receiver-index(4) counter(8) | AEAD(frames) tag(16)
//	handshake: type(1) pattern(1) 0(2) sender-index(4) receiver-index(4) noise... [padding] mac1(16) mac2(16)
//	cookie:    type(1) 0(3) receiver-index(4) nonce(24) | XChaCha20-Poly1305(cookie 16) tag(16)
//
// Only msg1 (type 1) carries padding: zeros after its Noise message (whose
// size the pattern fixes), covered by mac1, that make it at least as large
// as the largest packet it can make the responder send (msg2 of its
// pattern; a cookie reply is smaller). A smaller msg1 is dropped, so a
// spoofed source address gets no amplification (see minInitSize in wire.go).
//
// The design follows WireGuard (whitepaper §5; wireguard-go device/, replay/,
// ratelimiter/) where it applies; see handshake.go and internal/cookie for where it
// differs (XX, identity binding, network-key-keyed MACs).
//
// # Threat model
//
// Peers are named by ed25519 keys (peer.ID); a handshake proves the key by
// signing the Noise static key and the instance epoch (handshake.go).
// Small-order and non-canonical keys, for which anyone could sign, are refused
// (peer.ID.Check). Point by point, against WireGuard's:
//
//   - Who may talk. WireGuard only answers peers whose public keys are
//     configured, and its mac1 needs the responder's public key. Here
//     anyone holding the NetworkKey (or anyone, without one) may handshake
//     as any identity it holds a private key for: admission is the
//     NetworkKey plus what the layers above decide per peer.ID. Without the
//     NetworkKey an attacker cannot make mac1, so every handshake packet it
//     sends is dropped after one hash, and it cannot complete a handshake
//     (the key is also psk0): it can replay and drop packets, no more. A
//     keyring (Options.NetworkKeys, SetNetworkKeys) widens admission to the
//     holders of any of its keys, so a key kept accepted after a rotation
//     is as good to an attacker as the current one until it is removed;
//     removing it ends the sessions made with it. Checking mac1 under each
//     key costs a responder up to MaxNetworkKeys hashes per handshake
//     packet, still no Diffie-Hellman.
//   - Confidentiality and integrity of data. As WireGuard: ChaCha20-Poly1305
//     (or AES-256-GCM when both sides have AES hardware) under keys from the
//     Noise split, 64-bit counters, a sliding replay window, keys rekeyed
//     after RekeyAfterTime and never used after RejectAfterTime or past the
//     RFC 9001 §6.6 limits of their cipher. Holding the NetworkKey does not
//     let an attacker read or forge another pair's sessions: the keys come
//     from ephemeral and static Diffie-Hellman, not from the NetworkKey.
//   - Forward secrecy and identity hiding. Sessions have forward secrecy
//     (ephemeral keys, as WireGuard). Identity hiding is weaker: an XX
//     responder reveals its identity to anyone who sends msg1, so a holder
//     of the NetworkKey learns which ID listens at an address; IK (redials
//     and rekeys) hides both sides as WireGuard does.
//   - Replay of handshakes. As WireGuard, an IK msg1 must carry a timestamp
//     newer than the initiations (IK msg1, XX msg3) seen from that instance
//     of the peer; XX msg2 and msg3 and IK msg2 answer a fresh ephemeral key
//     and cannot be replayed. Unlike WireGuard, a peer may restart with a new static key:
//     that replaces a live session only with a greater instance epoch, so a
//     captured initiation of an older instance cannot end the live one.
//     Timestamps follow max(wall clock, last + 1), so a step back of the
//     wall clock does not lock a node out; a restart resets the baseline.
//   - Denial of service. As WireGuard: under load a cookie round trip
//     (mac2) proves the source address before any Diffie-Hellman, and only
//     then are handshakes rate-limited per source (an IPv4 address or an
//     IPv6 /64; the limiter evicts rather than refuses), so a spoofer
//     cannot spend anyone else's budget; the initiator takes one cookie
//     reply per attempt and resends nothing at once. Initiations are
//     answered on their own goroutine, so a flood of them never delays
//     data. msg1 is padded to the size of its largest answer: a spoofed
//     source gets no amplification. Half-open XX state is bounded
//     (MaxHalfOpen, and MaxHalfOpenPerSource with the oldest evicted;
//     WireGuard has none, being 1-RTT), and IK and rekeys never wait on
//     it. Memory a peer can make the Conn hold is bounded in bytes with a
//     fair share per peer: partial messages (ReassemblyBytes, exact even
//     across disconnects) and received payloads waiting for the consumer
//     (EventBytes). A forged msg2 cannot spoil a pending handshake (the
//     state is rebuilt for every msg2). An on-path attacker can always
//     drop traffic; what it cannot do is end a session with an old
//     message: a bye counts only on the current or next session.
//   - Addresses. As WireGuard, source addresses are not authenticated and
//     a peer roams to wherever its authentic data comes from; an on-path
//     attacker can redirect a session (it stays encrypted) and a spoofer
//     with the NetworkKey can make a handshake packet appear from any
//     address. The address reported with EventPeerUp (Event.Addr) is
//     therefore one proven by a round trip, never a handshake packet's
//     bare source, and Event.Outbound says whether our own Dial made the
//     session; layers that score or ban by address (IP colocation, Dout)
//     must take them from there.
//   - Key material. Keys are wiped on a best-effort basis only (see
//     keypair): Go offers no way to clear the AEADs' key schedules or the
//     copies the runtime makes.
package transport
