package node

import (
	"fmt"
	"slices"
	"testing"
	"time"
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

func TestLANDiscovery(t *testing.T) {
	group := fmt.Sprintf("239.255.71.71:%d", 20000+time.Now().Nanosecond()%20000)
	cfgs := []Config{testConfig(t, 0), testConfig(t, 1)}
	var nodes []*Node
	for _, c := range cfgs {
		c.LANDiscovery, c.LANGroup, c.LANInterval = true, group, 100*time.Millisecond
		n, err := New(c)
		if err != nil {
			t.Skipf("no multicast here: %v", err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	deadline := time.Now().Add(3 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !slices.Contains(nodes[0].Peers(), nodes[1].ID()) {
		if time.Now().After(deadline) {
			t.Skip("no multicast delivery on this host's loopback; discovery not exercised")
		}
		<-tick.C
	}
}
