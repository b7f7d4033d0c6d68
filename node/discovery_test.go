package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
)

// beaconIdentity returns a deterministic identity for beacon tests.
func beaconIdentity(t testing.TB, i int) *peer.Identity {
	t.Helper()
	seed := make([]byte, 32)
	copy(seed, "beacon")
	binary.BigEndian.PutUint32(seed[28:], uint32(i))
	id, err := peer.IdentityFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Every check of a received beacon, one at a time: a good beacon passes
// (and yields the source IP with the advertised port), each kind of bad
// one is refused with its reason.
func TestBeaconAccept(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	alice, mallory := beaconIdentity(t, 1), beaconIdentity(t, 2)
	self := beaconIdentity(t, 3)
	key := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{8}, 32)
	src := netip.MustParseAddrPort("192.0.2.10:40000")
	good := beacon{id: alice.ID(), time: now.UnixNano(), port: 7946}
	mk := func(ident *peer.Identity, b beacon, key []byte) []byte { return appendBeacon(nil, ident, b, key) }
	with := func(f func(b *beacon)) beacon { b := good; f(&b); return b }
	flip := func(p []byte, i int) []byte { p = bytes.Clone(p); p[len(p)+i] ^= 1; return p }
	tests := []struct {
		name string
		pkt  []byte
		key  []byte   // the receiver's NetworkKey
		ring [][]byte // the receiver's NetworkKeys, if set (instead of key)
		from netip.AddrPort
		want error
	}{
		{name: "good", pkt: mk(alice, good, nil)},
		{name: "good, keyed", pkt: mk(alice, good, key), key: key},
		{name: "good, advertised IP is the source", pkt: mk(alice, with(func(b *beacon) { b.ip = src.Addr() }), nil)},
		{name: "good, IPv4-mapped source", pkt: mk(alice, with(func(b *beacon) { b.ip = src.Addr() }), nil),
			from: netip.AddrPortFrom(netip.AddrFrom16(src.Addr().As16()), 1)},
		{name: "forged signature", pkt: flip(mk(alice, good, nil), -1), want: errBeaconAuth},
		{name: "another identity's signature", pkt: func() []byte {
			p := mk(mallory, with(func(b *beacon) { b.id = mallory.ID() }), nil)
			aid := alice.ID()
			copy(p[5:37], aid[:])
			return p
		}(), want: errBeaconAuth},
		{name: "forged signature, keyed", pkt: func() []byte {
			// Mallory knows the key but not Alice's identity key.
			p := mk(mallory, good, nil)
			p[4] |= beaconFlagMAC
			return append(p, beaconMAC(key, p)...)
		}(), key: key, want: errBeaconAuth},
		{name: "no MAC, keyed cluster", pkt: mk(alice, good, nil), key: key, want: errBeaconAuth},
		{name: "wrong key", pkt: mk(alice, good, other), key: key, want: errBeaconAuth},
		{name: "MAC, unkeyed node", pkt: mk(alice, good, key), want: errBeaconAuth},
		{name: "bad MAC", pkt: flip(mk(alice, good, key), -1), key: key, want: errBeaconAuth},
		{name: "keyring, MAC under its second key", pkt: mk(alice, good, key), ring: [][]byte{other, key}},
		{name: "keyring, MAC under its primary", pkt: mk(alice, good, other), ring: [][]byte{other, key}},
		{name: "keyring, MAC under no key of it", pkt: mk(alice, good, bytes.Repeat([]byte{9}, 32)), ring: [][]byte{other, key}, want: errBeaconAuth},
		{name: "keyring, no MAC", pkt: mk(alice, good, nil), ring: [][]byte{other, key}, want: errBeaconAuth},
		{name: "stale", pkt: mk(alice, with(func(b *beacon) { b.time = now.Add(-31 * time.Second).UnixNano() }), nil), want: errBeaconStale},
		{name: "from the future", pkt: mk(alice, with(func(b *beacon) { b.time = now.Add(31 * time.Second).UnixNano() }), nil), want: errBeaconStale},
		{name: "points at a third party", pkt: mk(alice, with(func(b *beacon) { b.ip = netip.MustParseAddr("198.51.100.7") }), nil), want: errBeaconAddress},
		{name: "own beacon", pkt: mk(self, with(func(b *beacon) { b.id = self.ID() }), nil), want: errBeaconSelf},
		{name: "port 0", pkt: mk(alice, with(func(b *beacon) { b.port = 0 }), nil), want: errBeaconMalformed},
		{name: "truncated", pkt: mk(alice, good, nil)[:100], want: errBeaconMalformed},
		{name: "trailing byte", pkt: append(mk(alice, good, nil), 0), want: errBeaconMalformed},
		{name: "unknown flag", pkt: func() []byte { p := mk(alice, good, nil); p[4] |= 0x80; return p }(), want: errBeaconMalformed},
		{name: "bad IP length", pkt: func() []byte {
			p := mk(alice, with(func(b *beacon) { b.ip = src.Addr() }), nil)
			p[beaconFixed] = 5
			return p
		}(), want: errBeaconMalformed},
		{name: "old text beacon", pkt: []byte("gwyh1 " + alice.ID().String() + " 7946"), want: errBeaconMalformed},
		{name: "empty", pkt: nil, want: errBeaconMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := src
			if tt.from.IsValid() {
				from = tt.from
			}
			ring := tt.ring
			if tt.key != nil {
				ring = [][]byte{tt.key}
			}
			f := newBeaconFilter(self.ID(), func() [][]byte { return ring })
			got, err := f.accept(tt.pkt, from, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("accept: %v, want %v", err, tt.want)
			}
			if err == nil && (got.ID != alice.ID() || got.Addr != "192.0.2.10:7946") {
				t.Fatalf("target %v, want alice at the source IP and the advertised port", got)
			}
		})
	}
}

// A beacon is accepted once: the same one again, or an older one, is a
// replay; a newer one passes.
func TestBeaconReplay(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	alice := beaconIdentity(t, 1)
	src := netip.MustParseAddrPort("192.0.2.10:40000")
	f := newBeaconFilter(beaconIdentity(t, 3).ID(), nil)
	at := func(d time.Duration) []byte {
		return appendBeacon(nil, alice, beacon{id: alice.ID(), time: now.Add(d).UnixNano(), port: 7946}, nil)
	}
	steps := []struct {
		pkt  []byte
		want error
	}{
		{at(0), nil},
		{at(0), errBeaconStale},
		{at(-time.Second), errBeaconStale},
		{at(time.Second), nil},
		{at(time.Second), errBeaconStale},
	}
	for i, s := range steps {
		if _, err := f.accept(s.pkt, src, now); !errors.Is(err, s.want) || (s.want == nil) != (err == nil) {
			t.Fatalf("step %d: %v, want %v", i, err, s.want)
		}
	}
	// A forged beacon with a later time does not block the real one.
	forged := at(10 * time.Second)
	forged[len(forged)-1] ^= 1
	if _, err := f.accept(forged, src, now); !errors.Is(err, errBeaconAuth) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := f.accept(at(2*time.Second), src, now); err != nil {
		t.Fatalf("real beacon after a forged later one: %v", err)
	}
}

// Beacons are rate-limited per source IP and globally before any
// signature is checked.
func TestBeaconRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := newBeaconFilter(beaconIdentity(t, 0).ID(), nil)
	src := netip.MustParseAddrPort("192.0.2.10:40000")
	junk := []byte("junk")
	count := func(from netip.AddrPort, n int) (limited int) {
		for range n {
			if _, err := f.accept(junk, from, now); errors.Is(err, errBeaconRateLimited) {
				limited++
			}
		}
		return limited
	}
	if got := count(src, 20); got != 20-beaconSourceBurst {
		t.Fatalf("one source: %d of 20 limited, want %d", got, 20-beaconSourceBurst)
	}
	now = now.Add(time.Second)
	if got := count(src, 10); got != 10-int(beaconSourceRate) {
		t.Fatalf("a second later: %d of 10 limited, want %d", got, 10-int(beaconSourceRate))
	}
	// Many sources: the global bucket holds. It refilled to its burst
	// during the second, and the source's two beacons spent two of it.
	limited := 0
	for i := range 200 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), 1)
		limited += count(from, 1)
	}
	if want := 200 - (beaconGlobalBurst - int(beaconSourceRate)); limited != want {
		t.Fatalf("many sources: %d of 200 limited, want %d", limited, want)
	}
	if f.sources.Len() > beaconSources {
		t.Fatalf("%d source buckets > %d", f.sources.Len(), beaconSources)
	}
}

// A flood of valid beacons from many IDs, as fast as the rate limits let
// them through, keeps the receiver's tables within their bounds, and the
// peer manager's candidate table too, which keeps the candidates that
// answered our dials and the members.
func TestBeaconFloodBounded(t *testing.T) {
	const flood = 1500
	now := time.Unix(1_700_000_000, 0)
	f := newBeaconFilter(beaconIdentity(t, 0).ID(), nil)
	pm, err := peering.New(peering.Config{Low: 1, High: 8, MaxCandidates: 100, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	verified := peering.Target{ID: beaconIdentity(t, 100_000).ID(), Addr: "192.0.2.1:7946"}
	member := peering.Target{ID: beaconIdentity(t, 100_001).ID(), Addr: "192.0.2.2:7946"}
	pm.Offer(now, verified, peering.SourceExchange)
	pm.Tick(now, nil) // dials it, the only candidate
	if !pm.Connected(now, verified.ID, verified.Addr, true) {
		t.Fatal("refused")
	}
	pm.Disconnected(now, verified.ID)
	pm.Offer(now, member, peering.SourceMember)
	accepted := 0
	for i := range flood {
		now = now.Add(time.Second / beaconGlobalRate) // one global token each
		ident := beaconIdentity(t, i+1)
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 5000)
		pkt := appendBeacon(nil, ident, beacon{id: ident.ID(), time: now.UnixNano(), port: 7946}, nil)
		tg, err := f.accept(pkt, from, now)
		if err != nil {
			continue
		}
		accepted++
		pm.Offer(now, tg, peering.SourceExchange)
	}
	if accepted < flood*9/10 {
		t.Fatalf("only %d of %d accepted", accepted, flood)
	}
	if f.last.Len() > beaconIDs || f.sources.Len() > beaconSources {
		t.Fatalf("filter tables %d IDs, %d sources", f.last.Len(), f.sources.Len())
	}
	st := pm.Stats()
	if st.Candidates > 100 || st.Evicted == 0 {
		t.Fatalf("candidate table %+v, want at most 100 with evictions", st)
	}
	for _, tg := range []peering.Target{verified, member} {
		if got, _, ok := pm.Candidate(tg.ID); !ok || got.Addr != tg.Addr {
			t.Fatalf("%v pushed out or moved (%v %v)", tg, got, ok)
		}
	}
}

// A node counts the beacons it refuses, and offers only the good ones.
func TestLANBeaconsCounted(t *testing.T) {
	recv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	c := testConfig(t, 0)
	c.LANDiscovery = true
	c.lanSockets = func() (*net.UDPConn, *net.UDPConn, error) {
		send, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
		return recv, send, err
	}
	n, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	out, err := net.DialUDP("udp4", nil, recv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	alice, bob := beaconIdentity(t, 1), beaconIdentity(t, 2)
	now := time.Now()
	good := appendBeacon(nil, alice, beacon{id: alice.ID(), time: now.UnixNano(), port: 7946}, nil)
	forged := bytes.Clone(good)
	forged[len(forged)-1] ^= 1
	reflect := appendBeacon(nil, bob, beacon{id: bob.ID(), time: now.UnixNano(), port: 53, ip: netip.MustParseAddr("198.51.100.7")}, nil)
	for _, p := range [][]byte{forged, reflect, good, good} {
		if _, err := out.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	var st Stats
	testkit.Eventually(t, 5*time.Second, "four beacons handled", func() bool {
		st, _ = n.Stats()
		return st.NodeDrops[dropBeaconInvalid]+st.NodeDrops[dropBeaconAddress]+st.NodeDrops[dropBeaconStale] == 3
	})
	if st.NodeDrops[dropBeaconInvalid] != 1 || st.NodeDrops[dropBeaconAddress] != 1 || st.NodeDrops[dropBeaconStale] != 1 {
		t.Fatalf("drops %v", st.Drops())
	}
	if _, ok := st.Drops()["node/beacon-address-mismatch"]; !ok {
		t.Fatalf("drops %v: no beacon-address-mismatch", st.Drops())
	}
	testkit.Eventually(t, 5*time.Second, "alice offered", func() bool {
		var ok bool
		_ = n.do(context.Background(), func(time.Time) { _, _, ok = n.pm.Candidate(alice.ID()) })
		return ok
	})
	var bobKnown bool
	_ = n.do(context.Background(), func(time.Time) { _, _, bobKnown = n.pm.Candidate(bob.ID()) })
	if bobKnown {
		t.Fatal("the reflecting beacon was offered")
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

// Beacons advertise Config.Advertise's IP and port when it is an IP
// address, its port alone for a host name, else the bound port.
func TestBeaconAddr(t *testing.T) {
	bound := netip.MustParseAddrPort("0.0.0.0:7000")
	tests := []struct {
		advertise string
		ip        string
		port      uint16
	}{
		{"", "", 7000},
		{"192.0.2.1:7946", "192.0.2.1", 7946},
		{"[::ffff:192.0.2.1]:7946", "192.0.2.1", 7946},
		{"node1.example:7947", "", 7947},
	}
	for _, tt := range tests {
		ip, port := beaconAddr(Config{Advertise: tt.advertise}, bound)
		if (tt.ip == "" && ip.IsValid()) || (tt.ip != "" && ip.String() != tt.ip) || port != tt.port {
			t.Errorf("Advertise %q: %v %d, want %q %d", tt.advertise, ip, port, tt.ip, tt.port)
		}
	}
}

// FuzzBeacon feeds arbitrary datagrams to the beacon checks: no panic,
// and whatever passes names the signer at the source IP.
func FuzzBeacon(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	alice := beaconIdentity(f, 1)
	src := netip.MustParseAddrPort("192.0.2.10:40000")
	f.Add(appendBeacon(nil, alice, beacon{id: alice.ID(), time: now.UnixNano(), port: 7946}, nil))
	f.Add(appendBeacon(nil, alice, beacon{id: alice.ID(), time: now.UnixNano(), port: 7946, ip: src.Addr()}, nil))
	f.Add([]byte(beaconMagic + "\x03"))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		tg, err := newBeaconFilter(peer.ID{}, nil).accept(pkt, src, now)
		if err == nil && (tg.ID != alice.ID() || !strings.HasPrefix(tg.Addr, "192.0.2.10:")) {
			t.Fatalf("accepted %v", tg)
		}
	})
}
