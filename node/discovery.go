package node

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
)

// LAN discovery: every LANInterval the node sends a beacon to the multicast
// group LANGroup and learns the peers whose beacons it hears. A discovered
// peer is offered to the peer manager as an exchange record: it is dialled
// like any candidate, so it still has to complete the handshake (with the
// NetworkKey when one is set), and once linked it brings the cluster's
// membership with it.
//
// A beacon is binary (see appendBeacon): the sender's peer ID, a
// timestamp, the port to dial (and the IP, when Config.Advertise names
// one), signed with the sender's identity key under a domain separator,
// then, with a NetworkKey, an HMAC-SHA256 under it (truncated to 16 bytes)
// so that nodes of other clusters are not even dialled. With a keyring
// (NetworkKeys), beacons are MACed under the primary key and accepted
// under any key of the ring, as handshakes are. The receiver
// checks, in its own goroutine and before anything reaches the event loop:
// a rate per source IP and a global rate (token buckets), the format, the
// MAC, a timestamp within beaconWindow of its clock, that an advertised IP
// is the beacon's source IP (a beacon that points at a third party is
// refused: no reflection), the signature, and that the timestamp is newer
// than the last beacon it accepted from that ID (no replay). The address
// offered is the source IP with the advertised port. Every refused beacon
// is counted in Stats.NodeDrops (beacon-*).
//
// A beacon without an advertised IP can be relayed within the window from
// another address by whoever captured it; the peer manager then holds an
// unverified record of the ID at the relay's address, whose dials fail
// (the handshake proves the ID), and which never replaces an address the
// node verified or a connected peer's (package peering).

// Beacon wire format, all integers big-endian:
//
//	magic(4) flags(1) id(32) unix-nanos(8) port(2) [iplen(1) ip(4|16)] sig(64) [mac(16)]
const (
	beaconMagic   = "gwLB"
	beaconFlagIP  = 1 // an advertised IP follows the port
	beaconFlagMAC = 2 // an HMAC under the NetworkKey ends the beacon
	beaconFixed   = 4 + 1 + 32 + 8 + 2
	beaconMACLen  = 16
	beaconMaxLen  = beaconFixed + 1 + 16 + 64 + beaconMACLen

	beaconSigDomain = "gwyh/lan-beacon/v1/sig\x00"
	beaconMACDomain = "gwyh/lan-beacon/v1/mac\x00"
)

// Limits of the beacon receiver.
const (
	// beaconWindow is how far a beacon's timestamp may be from the
	// receiver's clock: a captured beacon is worthless after it.
	beaconWindow = 30 * time.Second
	// beaconIDs bounds the table of the last timestamp accepted per ID
	// (replay protection within the window; least recently heard
	// evicted).
	beaconIDs = 1024
	// beaconSources bounds the per-source-IP rate buckets (least recently
	// heard evicted; the global bucket bounds what evictions let through).
	beaconSources = 256
	// Per source IP: a burst of 8 beacons, then 2 a second (several nodes
	// may share a host). Globally: a burst of 100, then 50 a second, so
	// that a flood costs at most 50 signature checks and event-loop calls
	// a second.
	beaconSourceBurst, beaconSourceRate = 8, 2.0
	beaconGlobalBurst, beaconGlobalRate = 100, 50.0
)

// Why a beacon is refused; each maps to a DropCause (beaconDrop).
var (
	errBeaconMalformed   = errors.New("node: malformed LAN beacon")
	errBeaconAuth        = errors.New("node: LAN beacon signature or network MAC invalid")
	errBeaconStale       = errors.New("node: LAN beacon timestamp outside the window, or replayed")
	errBeaconAddress     = errors.New("node: LAN beacon advertises an address other than its source")
	errBeaconRateLimited = errors.New("node: LAN beacon over the rate limit")
	errBeaconSelf        = errors.New("node: own LAN beacon")
)

// beacon is the content of a LAN beacon.
type beacon struct {
	id   peer.ID
	time int64 // unix nanoseconds
	port uint16
	ip   netip.Addr // advertised IP; invalid: the source IP is the one to dial
}

// appendBeacon appends b, signed by ident (whose ID b.id must be), and
// MACed under key when it is not nil, to buf.
func appendBeacon(buf []byte, ident *peer.Identity, b beacon, key []byte) []byte {
	start := len(buf)
	flags := byte(0)
	if b.ip.IsValid() {
		flags |= beaconFlagIP
	}
	if key != nil {
		flags |= beaconFlagMAC
	}
	buf = append(buf, beaconMagic...)
	buf = append(buf, flags)
	buf = append(buf, b.id[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(b.time))
	buf = binary.BigEndian.AppendUint16(buf, b.port)
	if b.ip.IsValid() {
		ip := b.ip.Unmap().AsSlice()
		buf = append(buf, byte(len(ip)))
		buf = append(buf, ip...)
	}
	buf = append(buf, ident.Sign(beaconSigned(buf[start:]))...)
	if key != nil {
		buf = append(buf, beaconMAC(key, buf[start:])...)
	}
	return buf
}

// beaconSigned is the message a beacon's signature covers: a domain
// separator, so that no other signature of the identity passes for one,
// then the beacon up to the signature.
func beaconSigned(body []byte) []byte {
	return append([]byte(beaconSigDomain), body...)
}

func beaconMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(beaconMACDomain))
	m.Write(msg)
	return m.Sum(nil)[:beaconMACLen]
}

// decodeBeacon decodes a beacon and checks its MAC under the keys of the
// network keyring (one of them must match when there are keys; a MAC is
// refused when there are none: the sender is of another cluster). It
// returns the offset of the signature, which it does not check (see
// verifyBeacon), nor the time or the address (see beaconFilter).
func decodeBeacon(pkt []byte, keys [][]byte) (b beacon, sigAt int, err error) {
	if len(pkt) < beaconFixed || string(pkt[:4]) != beaconMagic {
		return b, 0, errBeaconMalformed
	}
	flags := pkt[4]
	if flags&^(beaconFlagIP|beaconFlagMAC) != 0 {
		return b, 0, errBeaconMalformed
	}
	copy(b.id[:], pkt[5:37])
	b.time = int64(binary.BigEndian.Uint64(pkt[37:45]))
	b.port = binary.BigEndian.Uint16(pkt[45:47])
	off := beaconFixed
	if flags&beaconFlagIP != 0 {
		if len(pkt) < off+1 {
			return b, 0, errBeaconMalformed
		}
		n := int(pkt[off])
		if (n != 4 && n != 16) || len(pkt) < off+1+n {
			return b, 0, errBeaconMalformed
		}
		b.ip, _ = netip.AddrFromSlice(pkt[off+1 : off+1+n])
		b.ip = b.ip.Unmap()
		off += 1 + n
	}
	want := off + ed25519.SignatureSize
	if flags&beaconFlagMAC != 0 {
		want += beaconMACLen
	}
	if len(pkt) != want || b.port == 0 || b.id.IsZero() {
		return b, 0, errBeaconMalformed
	}
	if (flags&beaconFlagMAC != 0) != (len(keys) > 0) {
		return b, 0, errBeaconAuth
	}
	if len(keys) > 0 && !macUnderAny(pkt[want-beaconMACLen:], pkt[:want-beaconMACLen], keys) {
		return b, 0, errBeaconAuth
	}
	return b, off, nil
}

// macUnderAny reports whether mac is the beacon MAC of msg under one of
// keys (at most transport.MaxNetworkKeys HMACs).
func macUnderAny(mac, msg []byte, keys [][]byte) bool {
	for _, k := range keys {
		if hmac.Equal(mac, beaconMAC(k, msg)) {
			return true
		}
	}
	return false
}

// verifyBeacon checks the signature of a beacon decodeBeacon returned
// with sigAt: by the identity of the ID it names.
func verifyBeacon(b beacon, pkt []byte, sigAt int) bool {
	return b.id.Verify(beaconSigned(pkt[:sigAt]), pkt[sigAt:sigAt+ed25519.SignatureSize])
}

// tokenBucket is a rate limit: burst tokens, refilled at rate a second.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// take spends a token if there is one at now.
func (tb *tokenBucket) take(now time.Time, burst, rate float64) bool {
	if tb.last.IsZero() {
		tb.tokens = burst
	} else if d := now.Sub(tb.last); d > 0 {
		tb.tokens = min(burst, tb.tokens+d.Seconds()*rate)
	}
	if !now.Before(tb.last) {
		tb.last = now
	}
	if tb.tokens < 1 {
		return false
	}
	tb.tokens--
	return true
}

// beaconFilter is the beacon receiver's state: the rate buckets and the
// last timestamp accepted per ID, all bounded. It is owned by the
// receiver goroutine (not safe for concurrent use).
type beaconFilter struct {
	self    peer.ID
	keys    func() [][]byte // the network keyring now; nil: none
	global  tokenBucket
	sources *simplelru.LRU[netip.Addr, *tokenBucket]
	last    *simplelru.LRU[peer.ID, int64]
}

func newBeaconFilter(self peer.ID, keys func() [][]byte) *beaconFilter {
	sources, err := simplelru.NewLRU[netip.Addr, *tokenBucket](beaconSources, nil)
	if err != nil {
		panic(err) // a positive constant size
	}
	last, _ := simplelru.NewLRU[peer.ID, int64](beaconIDs, nil)
	return &beaconFilter{self: self, keys: keys, sources: sources, last: last}
}

// accept checks a beacon received from `from` at now and returns the
// target to offer, or why it is refused: errBeaconRateLimited,
// errBeaconMalformed, errBeaconAuth, errBeaconStale, errBeaconAddress, or
// errBeaconSelf for the node's own beacon. The cheap checks come first;
// the per-ID timestamp is recorded only for a beacon whose signature
// holds, so that forgeries cannot block the real sender.
func (f *beaconFilter) accept(pkt []byte, from netip.AddrPort, now time.Time) (peering.Target, error) {
	src := from.Addr().Unmap()
	tb, ok := f.sources.Get(src)
	if !ok {
		tb = &tokenBucket{}
		f.sources.Add(src, tb)
	}
	if !tb.take(now, beaconSourceBurst, beaconSourceRate) || !f.global.take(now, beaconGlobalBurst, beaconGlobalRate) {
		return peering.Target{}, errBeaconRateLimited
	}
	var keys [][]byte
	if f.keys != nil {
		keys = f.keys()
	}
	b, sigAt, err := decodeBeacon(pkt, keys)
	if err != nil {
		return peering.Target{}, err
	}
	if b.id == f.self {
		return peering.Target{}, errBeaconSelf
	}
	if d := now.Sub(time.Unix(0, b.time)); d > beaconWindow || d < -beaconWindow {
		return peering.Target{}, errBeaconStale
	}
	if b.ip.IsValid() && b.ip != src {
		return peering.Target{}, errBeaconAddress
	}
	if !verifyBeacon(b, pkt, sigAt) {
		return peering.Target{}, errBeaconAuth
	}
	if t, ok := f.last.Get(b.id); ok && b.time <= t {
		return peering.Target{}, errBeaconStale
	}
	f.last.Add(b.id, b.time)
	return peering.Target{ID: b.id, Addr: netip.AddrPortFrom(src, b.port).String()}, nil
}

// beaconDrop maps a refusal of accept to its drop cause; false for the
// node's own beacon, which is not a drop.
func beaconDrop(err error) (DropCause, bool) {
	switch {
	case errors.Is(err, errBeaconRateLimited):
		return dropBeaconRateLimited, true
	case errors.Is(err, errBeaconStale):
		return dropBeaconStale, true
	case errors.Is(err, errBeaconAddress):
		return dropBeaconAddress, true
	case errors.Is(err, errBeaconSelf):
		return 0, false
	}
	return dropBeaconInvalid, true
}

// beaconAddr is what this node's beacons advertise: Config.Advertise's IP
// and port when it is an IP address, its port alone when it names a host,
// else the bound port (the receiver dials the beacon's source IP).
func beaconAddr(cfg Config, bound netip.AddrPort) (netip.Addr, uint16) {
	if ap, err := netip.ParseAddrPort(cfg.Advertise); err == nil {
		return ap.Addr().Unmap(), ap.Port()
	}
	if _, port, err := net.SplitHostPort(cfg.Advertise); err == nil {
		if p, err := strconv.ParseUint(port, 10, 16); err == nil && p > 0 {
			return netip.Addr{}, uint16(p)
		}
		if p, err := net.LookupPort("udp", port); err == nil && p > 0 {
			return netip.Addr{}, uint16(p)
		}
	}
	return netip.Addr{}, bound.Port()
}

// multicastSockets joins the multicast group: a socket receiving from it
// and one sending to it.
func multicastSockets(groupAddr string) (recv, send *net.UDPConn, err error) {
	group, err := net.ResolveUDPAddr("udp4", groupAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: LANGroup %q: %w", ErrConfig, groupAddr, err)
	}
	rc, err := net.ListenMulticastUDP("udp4", nil, group)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: LAN discovery: %w", ErrConfig, err)
	}
	sc, err := net.DialUDP("udp4", nil, group)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("%w: LAN discovery: %w", ErrConfig, err)
	}
	return rc, sc, nil
}

// startDiscovery joins the multicast group and starts the beacon sender
// and receiver goroutines; both end when the node closes.
func (n *Node) startDiscovery() error {
	open := n.cfg.lanSockets
	if open == nil {
		open = func() (*net.UDPConn, *net.UDPConn, error) { return multicastSockets(n.cfg.LANGroup) }
	}
	rc, sc, err := open()
	if err != nil {
		return err
	}
	n.wg.Add(3)
	go func() {
		defer n.wg.Done()
		<-n.quit
		rc.Close()
		sc.Close()
	}()
	go n.receiveBeacons(rc)
	go n.sendBeacons(sc)
	return nil
}

// sendBeacons sends a fresh beacon every LANInterval.
func (n *Node) sendBeacons(c *net.UDPConn) {
	defer n.wg.Done()
	ip, port := beaconAddr(n.cfg, n.Addr())
	var msg []byte
	t := n.clock.Ticker(n.cfg.LANInterval)
	defer t.Stop()
	for {
		b := beacon{id: n.ID(), time: n.clock.Now().UnixNano(), port: port, ip: ip}
		msg = appendBeacon(msg[:0], n.ident, b, firstKey(n.netKeys.get()))
		_, _ = c.Write(msg)
		select {
		case <-t.C:
		case <-n.quit:
			return
		}
	}
}

// receiveBeacons checks every beacon heard (beaconFilter) and offers the
// accepted ones to the peer manager; refusals are counted.
func (n *Node) receiveBeacons(c *net.UDPConn) {
	defer n.wg.Done()
	f := newBeaconFilter(n.ID(), n.netKeys.get)
	buf := make([]byte, beaconMaxLen+1) // a longer datagram is truncated, and malformed
	for {
		k, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		t, err := f.accept(buf[:k], from, n.clock.Now())
		if err != nil {
			if cause, ok := beaconDrop(err); ok {
				n.lanDrops[cause].Add(1)
			}
			continue
		}
		// A discovered node is a seed in all but name: linked once, it
		// brings the cluster's membership with it.
		_ = n.do(n.ctx, func(now time.Time) { n.pm.Offer(now, t, peering.SourceExchange) })
	}
}
