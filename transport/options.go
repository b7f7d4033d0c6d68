package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
)

// maxMessageLimit keeps fragment counts within 16 bits at the smallest MTU.
const maxMessageLimit = 32 << 20

// Options configures a Conn. The zero value of every field means "use the
// default" given in its doc; Listen fills defaults and then calls Validate.
// Options is copied by Listen; the caller may reuse it.
type Options struct {
	// NetworkKey is the optional 32-byte cluster pre-shared key, mixed into
	// every handshake as the Noise PSK (psk0) and keying mac1 and cookies.
	// Nodes without the same key cannot complete a handshake. nil: no key.
	// It is a keyring of one key: the same as NetworkKeys: {NetworkKey}.
	// At most one of NetworkKey and NetworkKeys may be set.
	NetworkKey []byte
	// NetworkKeys is the network keyring: every key in it is accepted
	// from initiators, and the first (the primary) is the one this Conn
	// initiates handshakes with, so that a cluster can change its key
	// without downtime (see Conn.SetNetworkKeys). Each key has 32 bytes,
	// no two are the same, at most MaxNetworkKeys. nil: NetworkKey alone.
	NetworkKeys [][]byte
	// MTU is the largest UDP payload sent, in bytes. Default 1400; 576..65000.
	// Received datagrams larger than max(MTU, 2048) are truncated and fail
	// authentication, so a cluster should share one MTU.
	MTU int
	// MaxMessageSize is the largest payload Send accepts and the receiver
	// reassembles, in bytes. Default 1 MiB + 4 KiB; at most 32 MiB.
	MaxMessageSize int
	// QueueBytes bounds each peer's send queue (all priorities), in bytes of
	// encoded frames. Default 4 MiB; must be ≥ MaxMessageSize.
	QueueBytes int
	// EventQueue bounds the events waiting for the consumer of Events.
	// The channel itself buffers at most 256; the rest wait in a backlog
	// that grows only as far as they need (memory follows the backlog,
	// not this bound). Default 4096.
	EventQueue int
	// EventBytes bounds the payload bytes waiting in the Events channel
	// (each event is charged its payload plus 128 bytes). A peer may hold
	// no more of the events, nor of the bytes, than the queue leaves free
	// (a lone peer half, each of k busy peers 1/(k+1)), so that a peer
	// with nothing waiting always finds room. Default
	// max(64 MiB, 4×MaxMessageSize); at least 2×(MaxMessageSize+128).
	EventBytes int
	// RateFloor and RateCeiling bound each peer's paced send rate, in bytes
	// per second of datagrams. InitialRate is where a new session starts.
	// Defaults 256 KiB/s, 4 GiB/s, 64 MiB/s.
	RateFloor, RateCeiling, InitialRate float64
	// KeepaliveInterval: a ping goes to every peer this often (it doubles as
	// the RTT probe). Default 1 s.
	KeepaliveInterval time.Duration
	// PeerDownTimeout: a peer from which nothing authentic arrived for this
	// long is reported down and forgotten. Default 10 s.
	PeerDownTimeout time.Duration
	// ReportInterval: how often a receiver reports to each sender it heard
	// from. Default 50 ms.
	ReportInterval time.Duration
	// HandshakeRetry: an unanswered handshake is restarted after this long.
	// Half-open responder state lives 3× this, our own attempts 2×.
	// Default 2 s.
	HandshakeRetry time.Duration
	// RekeyAfterTime: the initiator of a session starts a new handshake when
	// the session is this old. Default 2 min (WireGuard RekeyAfterTime).
	RekeyAfterTime time.Duration
	// RejectAfterTime: no packet is sent or accepted on session keys older
	// than this, and old sessions kept for late packets are dropped at this
	// age; a session whose rekeys kept failing until its keys reach it ends
	// (EventPeerDown). Default 3 min (WireGuard Reject-After-Time); it must
	// exceed RekeyAfterTime + 3×HandshakeRetry, when the responder of a
	// session rekeys if the initiator did not.
	RejectAfterTime time.Duration
	// RekeyAfterMessages: the initiator of a session rekeys once this many
	// packets went either way on it. Default 2^60. Sessions on AES-256-GCM
	// rekey after 2^22 packets whatever it says, and seal none past 2^23
	// (RFC 9001 §6.6; see aeadLimits).
	RekeyAfterMessages uint64
	// ReassemblyTimeout: an incomplete fragmented message is discarded (and
	// counted) after this long. Default 5 s.
	ReassemblyTimeout time.Duration
	// ReassemblyPeerBytes and ReassemblyBytes cap the memory held by partial
	// messages per peer and in total. Defaults 2×MaxMessageSize and 64 MiB.
	// When the total is reached, a peer holding less than its fair share
	// (ReassemblyBytes over the number of peers holding partials) evicts
	// the oldest partials of the peer holding the most, if that one holds
	// more than the share, so a few peers cannot starve the others.
	ReassemblyPeerBytes, ReassemblyBytes int
	// MaxPeers bounds sessions, learned static keys and handshake timestamps.
	// Default 4096.
	MaxPeers int
	// MaxHalfOpen bounds responder XX handshakes waiting for their last
	// message; when full, the oldest is evicted for a new one. IK
	// handshakes (and so rekeys) never wait half-open. Default 1024.
	MaxHalfOpen int
	// MaxHalfOpenPerSource bounds the half-open handshakes from one source
	// (an IPv4 address or an IPv6 /64); past it, the source's oldest is
	// evicted. Default min(16, MaxHalfOpen); at most MaxHalfOpen.
	MaxHalfOpenPerSource int
	// CookieLoad is the number of half-open handshakes at which the Conn is
	// "under load" and demands a cookie round trip (mac2) before any DH work
	// and before any rate limit is charged. Default MaxHalfOpen/8; -1 means
	// always (for tests). A backlog of initiations waiting for the
	// handshake worker also means load.
	CookieLoad int
	// CookieRate: above this many initiations per second (all sources) the
	// Conn is also under load. Default 500.
	CookieRate float64
	// HandshakeRate and HandshakeBurst rate-limit initiations per source
	// (token bucket, per second; an IPv4 address or an IPv6 /64). As in
	// WireGuard, the limit applies only under load and only to initiations
	// with a valid cookie, whose source address is proven. Defaults 50 and 50.
	HandshakeRate  float64
	HandshakeBurst int
	// TickInterval is the granularity of the Conn's timer (keepalives,
	// reports, timeouts, retries). Default 10 ms.
	TickInterval time.Duration
	// Clock is the time source of every timer and timestamp (keepalives,
	// timeouts, pacing, handshake retries and timestamps). nil: the real
	// clock. Tests may pass clock.NewMock(); nothing then happens on time
	// until the mock is advanced.
	Clock clock.Clock
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Socket, if non-nil, is used instead of opening a UDP socket; the addr
	// given to Listen is then ignored. The Conn closes it on Close.
	Socket Socket
	// CoalesceReceives turns on UDP GRO where the socket has it (Linux):
	// the kernel hands a run of same-size datagrams from one peer to one
	// read, and the reader offers 8 buffers of 64 KiB instead of 64 of
	// 2 KiB (512 KiB of read buffers per Conn instead of 128 KiB). Off by
	// default: in gwyh bench (32 nodes on 2 cores) it adds 8-16 % to the
	// unsigned window-16 throughput, less than that figure moves from
	// run to run, for ~8 MB more resident memory; gwyh bench -window 0
	// delivers everything with it as without it.
	CoalesceReceives bool
}

// networkKeys returns the keyring NetworkKey and NetworkKeys give.
func (o Options) networkKeys() [][]byte {
	if o.NetworkKey != nil {
		return [][]byte{o.NetworkKey}
	}
	return o.NetworkKeys
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MTU, 1400)
	def(&o.MaxMessageSize, 1<<20+4096)
	def(&o.QueueBytes, max(4<<20, o.MaxMessageSize*2))
	def(&o.EventQueue, 4096)
	def(&o.EventBytes, max(64<<20, 4*o.MaxMessageSize))
	defF(&o.RateFloor, 256<<10)
	defF(&o.RateCeiling, 4<<30)
	defF(&o.InitialRate, 64<<20)
	defD(&o.KeepaliveInterval, time.Second)
	defD(&o.PeerDownTimeout, 10*time.Second)
	defD(&o.ReportInterval, 50*time.Millisecond)
	defD(&o.HandshakeRetry, 2*time.Second)
	defD(&o.RekeyAfterTime, 2*time.Minute)
	defD(&o.RejectAfterTime, 3*time.Minute)
	if o.RekeyAfterMessages == 0 {
		o.RekeyAfterMessages = 1 << 60
	}
	defD(&o.ReassemblyTimeout, 5*time.Second)
	def(&o.ReassemblyPeerBytes, 2*o.MaxMessageSize)
	def(&o.ReassemblyBytes, 64<<20)
	def(&o.MaxPeers, 4096)
	def(&o.MaxHalfOpen, 1024)
	def(&o.MaxHalfOpenPerSource, min(16, o.MaxHalfOpen))
	def(&o.CookieLoad, max(1, o.MaxHalfOpen/8))
	defF(&o.HandshakeRate, 50)
	defF(&o.CookieRate, 500)
	def(&o.HandshakeBurst, 50)
	defD(&o.TickInterval, 10*time.Millisecond)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports every problem with o (after defaults are applied by
// Listen; a zero field is valid). Each error wraps ErrConfig.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	switch {
	case o.NetworkKey != nil && o.NetworkKeys != nil:
		bad("NetworkKey and NetworkKeys both set; put NetworkKey first in NetworkKeys")
	case o.NetworkKey != nil && len(o.NetworkKey) != 32:
		bad("NetworkKey has %d bytes, want 32", len(o.NetworkKey))
	default:
		if err := ValidateNetworkKeys(o.NetworkKeys); err != nil {
			errs = append(errs, err)
		}
	}
	if o.MTU < 576 || o.MTU > 65000 {
		bad("MTU %d outside 576..65000", o.MTU)
	}
	if o.MaxMessageSize < 1 || o.MaxMessageSize > maxMessageLimit {
		bad("MaxMessageSize %d outside 1..%d", o.MaxMessageSize, maxMessageLimit)
	}
	if o.QueueBytes < o.MaxMessageSize {
		bad("QueueBytes %d < MaxMessageSize %d", o.QueueBytes, o.MaxMessageSize)
	}
	if o.ReassemblyPeerBytes < o.MaxMessageSize || o.ReassemblyBytes < o.ReassemblyPeerBytes {
		bad("reassembly caps %d/%d below MaxMessageSize %d", o.ReassemblyPeerBytes, o.ReassemblyBytes, o.MaxMessageSize)
	}
	if o.EventBytes < 2*(o.MaxMessageSize+eventOverhead) {
		bad("EventBytes %d < 2×(MaxMessageSize %d + %d)", o.EventBytes, o.MaxMessageSize, eventOverhead)
	}
	if o.RateFloor <= 0 || o.RateCeiling < o.RateFloor || o.InitialRate < o.RateFloor || o.InitialRate > o.RateCeiling {
		bad("rates floor %v initial %v ceiling %v out of order", o.RateFloor, o.InitialRate, o.RateCeiling)
	}
	for name, d := range map[string]time.Duration{
		"KeepaliveInterval": o.KeepaliveInterval, "PeerDownTimeout": o.PeerDownTimeout,
		"ReportInterval": o.ReportInterval, "HandshakeRetry": o.HandshakeRetry,
		"RekeyAfterTime": o.RekeyAfterTime, "RejectAfterTime": o.RejectAfterTime, "ReassemblyTimeout": o.ReassemblyTimeout,
		"TickInterval": o.TickInterval,
	} {
		if d < 0 {
			bad("%s negative", name)
		}
	}
	if o.RejectAfterTime <= o.RekeyAfterTime+3*o.HandshakeRetry {
		bad("RejectAfterTime %v ≤ RekeyAfterTime %v + 3×HandshakeRetry %v", o.RejectAfterTime, o.RekeyAfterTime, o.HandshakeRetry)
	}
	if o.PeerDownTimeout <= o.KeepaliveInterval {
		bad("PeerDownTimeout %v ≤ KeepaliveInterval %v", o.PeerDownTimeout, o.KeepaliveInterval)
	}
	if o.EventQueue < 1 || o.MaxPeers < 1 || o.MaxHalfOpen < 1 || o.HandshakeBurst < 1 || o.HandshakeRate <= 0 || o.CookieRate < 1 {
		bad("EventQueue, MaxPeers, MaxHalfOpen, HandshakeBurst, HandshakeRate, CookieRate must be positive")
	}
	if o.MaxHalfOpenPerSource < 1 || o.MaxHalfOpenPerSource > o.MaxHalfOpen {
		bad("MaxHalfOpenPerSource %d outside 1..MaxHalfOpen %d", o.MaxHalfOpenPerSource, o.MaxHalfOpen)
	}
	if o.CookieLoad < -1 {
		bad("CookieLoad %d", o.CookieLoad)
	}
	return errors.Join(errs...)
}
