package node

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
)

// LAN discovery: every LANInterval the node sends a beacon to the multicast
// group LANGroup, "gwyh1 <peer-id> <port> [<mac>]", and learns the peers
// whose beacons it hears. A discovered peer is a seed offered to the peer
// manager: it is dialled like any candidate, so it still has to complete
// the handshake, with the NetworkKey when one is set, and once linked it
// brings the cluster's membership with it. With a NetworkKey the
// beacon carries an HMAC-SHA256 under it (truncated to 16 bytes), so that
// nodes of other clusters are not even dialled.

const beaconMagic = "gwyh1"

// beacon formats this node's beacon.
func beacon(id peer.ID, port uint16, key []byte) string {
	b := fmt.Sprintf("%s %s %d", beaconMagic, id, port)
	if key != nil {
		b += " " + beaconMAC(key, b)
	}
	return b
}

func beaconMAC(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// parseBeacon checks a received beacon and returns the peer and its port.
func parseBeacon(b []byte, key []byte) (peer.ID, uint16, bool) {
	f := strings.Fields(string(b))
	if len(f) < 3 || f[0] != beaconMagic {
		return peer.ID{}, 0, false
	}
	if key != nil {
		if len(f) != 4 || !hmac.Equal([]byte(f[3]), []byte(beaconMAC(key, strings.Join(f[:3], " ")))) {
			return peer.ID{}, 0, false
		}
	}
	id, err := peer.Decode(f[1])
	port, perr := strconv.ParseUint(f[2], 10, 16)
	if err != nil || perr != nil || port == 0 {
		return peer.ID{}, 0, false
	}
	return id, uint16(port), true
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

func (n *Node) sendBeacons(c *net.UDPConn) {
	defer n.wg.Done()
	msg := []byte(beacon(n.ID(), n.Addr().Port(), n.cfg.NetworkKey))
	t := n.clock.Ticker(n.cfg.LANInterval)
	defer t.Stop()
	for {
		_, _ = c.Write(msg)
		select {
		case <-t.C:
		case <-n.quit:
			return
		}
	}
}

func (n *Node) receiveBeacons(c *net.UDPConn) {
	defer n.wg.Done()
	buf := make([]byte, 512)
	for {
		k, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		id, port, ok := parseBeacon(buf[:k], n.cfg.NetworkKey)
		if !ok || id == n.ID() {
			continue
		}
		addr := netip.AddrPortFrom(from.Addr().Unmap(), port).String()
		// A discovered node is a seed: linked once, it brings the cluster's
		// membership with it.
		_ = n.do(n.ctx, func(now time.Time) {
			n.pm.Offer(now, peering.Target{ID: id, Addr: addr}, peering.SourceExchange)
		})
	}
}
