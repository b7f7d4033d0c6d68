// Package transport is gwyh's encrypted UDP transport: Noise (IK/XX, optional
// PSK) handshakes bound to ed25519 identities, AEAD-sealed packets with a
// sliding replay window, fragmentation with bounded reassembly, per-peer
// priority queues paced by a loss-driven AIMD controller, keepalives, RTT and
// peer-down detection, rekeying, and a stateless cookie under handshake load.
//
// A Conn owns one socket (real UDP with batched I/O on Linux, or any Socket
// such as the in-memory twin in transport/bindtest). Everything received
// reaches the user through one channel, Conn.Events.
//
// Wire format (all integers little-endian), see wire.go:
//
//	data:      type(1) 0(3) receiver-index(4) counter(8) | AEAD(frames) tag(16)
//	handshake: type(1) pattern(1) 0(2) sender-index(4) receiver-index(4) noise... mac1(16) mac2(16)
//	cookie:    type(1) 0(3) receiver-index(4) nonce(24) | XChaCha20-Poly1305(cookie 16) tag(16)
//
// The design follows WireGuard (whitepaper §5; wireguard-go device/, replay/,
// ratelimiter/) where it applies.
package transport
