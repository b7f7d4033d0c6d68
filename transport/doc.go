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
// Socket such as the in-memory twin in transport/bindtest) and four
// goroutines: the reader (opens packets, reads handshake responses), the
// handshake worker (answers initiations, the DH and signature work an
// attacker can ask for, so that it never delays data), the writer (the
// only one that seals and writes; it batches) and a timer (keepalives,
// receiver reports, rekeys, timeouts). Everything received reaches the user
// through one channel, Conn.Events, which the user must keep draining.
//
// Delivery is at most once: a payload is lost with its datagram (or with any
// one of its fragments); nothing is retransmitted. Every drop is counted in
// Stats or PeerStats.
//
// A peer is up from its EventPeerUp to its EventPeerDown, which comes when
// nothing authentic arrived for PeerDownTimeout, when either side called
// Disconnect (an authenticated bye frame tells the other), or when the peer
// restarted (a handshake from its identity with a new Noise static key: the
// old instance goes down and the new one comes up). Rekeys are silent.
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
package transport
