package node

import (
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
)

func TestBeaconFormat(t *testing.T) {
	id := testConfig(t, 1).Identity.ID()
	key := make([]byte, 32)
	other := make([]byte, 32)
	other[0] = 1
	tests := []struct {
		name    string
		msg     string
		key     []byte
		ok      bool
		wantPrt uint16
	}{
		{"plain", beacon(id, 7000, nil), nil, true, 7000},
		{"keyed", beacon(id, 7001, key), key, true, 7001},
		{"unkeyed beacon, keyed cluster", beacon(id, 7002, nil), key, false, 0},
		{"wrong key", beacon(id, 7003, other), key, false, 0},
		{"garbage", "hello there world", nil, false, 0},
		{"bad port", fmt.Sprintf("gwyh1 %s 0", id), nil, false, 0},
		{"bad id", "gwyh1 nope 7000", nil, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, port, ok := parseBeacon([]byte(tc.msg), tc.key)
			if ok != tc.ok || (ok && (got != id || port != tc.wantPrt)) {
				t.Fatalf("parseBeacon(%q) = %s %d %v", tc.msg, got.Short(), port, ok)
			}
		})
	}
}

// Two nodes with no seed find each other by LAN discovery: each one's
// beacons reach the other, which dials it. The multicast group is replaced
// by loopback sockets (each node's beacons go to the other's receiving
// socket), so the whole path runs (beacon, parse, peer manager, dial,
// link) without multicast leaving this host.
func TestLANDiscovery(t *testing.T) {
	recv := make([]*net.UDPConn, 2)
	for i := range recv {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		recv[i] = c
	}
	var nodes []*Node
	for i := range 2 {
		c := testConfig(t, i)
		c.LANDiscovery, c.LANInterval = true, 50*time.Millisecond
		c.NetworkKey = make([]byte, 32) // beacons carry a MAC under it
		other := recv[1-i].LocalAddr().(*net.UDPAddr)
		c.lanSockets = func() (*net.UDPConn, *net.UDPConn, error) {
			send, err := net.DialUDP("udp4", nil, other)
			return recv[i], send, err
		}
		n, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	testkit.Eventually(t, 5*time.Second, "the nodes found each other", func() bool {
		return slices.Contains(nodes[0].Peers(), nodes[1].ID()) && slices.Contains(nodes[1].Peers(), nodes[0].ID())
	})
}
