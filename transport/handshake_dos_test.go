package transport

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// withCookie gives the msg1 pkt, sent from from, the mac2 that the cookie
// reply c would send to from makes, as a live initiator would.
func withCookie(t testing.TB, c *Conn, pkt []byte, from netip.AddrPort) []byte {
	t.Helper()
	ck, err := primaryMac(c).OpenReply(c.jar.AppendReply(nil, pkt, from, primaryMac(c)), pkt)
	if err != nil {
		t.Fatal(err)
	}
	primaryMac(c).Seal(pkt, ck)
	return pkt
}

func halfOpenCount(c *Conn, src string) (all, fromSrc int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.halfOpen.len(), c.halfOpen.count(netip.MustParseAddr(src))
}

func addrPort(ip string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
}

// A source (IPv4 address, IPv6 /64) holds at most MaxHalfOpenPerSource
// half-open handshakes: its newest, as its oldest are evicted.
func TestHalfOpenPerSourceCap(t *testing.T) {
	c := nullConn(t, Options{MaxHalfOpen: 64, CookieLoad: 64, CookieRate: 1e6, MaxHalfOpenPerSource: 4})
	now := time.Now()
	for i := 1; i <= 10; i++ {
		feed(c, initiation(t, c, patternXX, nil), addrPort("10.1.1.1", i), now)
		feed(c, initiation(t, c, patternXX, nil), addrPort(fmt.Sprintf("2001:db8::%x", i), 1), now)
	}
	feed(c, initiation(t, c, patternXX, nil), addrPort("10.1.1.2", 1), now)
	all, v4 := halfOpenCount(c, "10.1.1.1")
	_, v6 := halfOpenCount(c, "2001:db8::")
	_, other := halfOpenCount(c, "10.1.1.2")
	if all != 9 || v4 != 4 || v6 != 4 || other != 1 {
		t.Fatalf("half-open: %d in all, %d from the IPv4 source, %d from the /64, %d from another; want 9, 4, 4, 1", all, v4, v6, other)
	}
	if d := c.Stats().Drops[DropHalfOpenEvicted]; d != 12 {
		t.Fatalf("%d evictions counted, want 12", d)
	}
	// The newest four of the IPv4 source are the ones kept.
	c.mu.Lock()
	var ports []uint16
	for hs := c.halfOpen.head; hs != nil; hs = hs.hoNext {
		if hs.addr.Addr() == netip.MustParseAddr("10.1.1.1") {
			ports = append(ports, hs.addr.Port())
		}
	}
	c.mu.Unlock()
	if fmt.Sprint(ports) != "[7 8 9 10]" {
		t.Fatalf("kept ports %v, want the newest [7 8 9 10]", ports)
	}
}

// A full half-open table evicts its oldest entry for a new one rather than
// refusing every handshake.
func TestHalfOpenEvictsOldestWhenFull(t *testing.T) {
	c := nullConn(t, Options{MaxHalfOpen: 8, CookieLoad: 100, CookieRate: 1e6})
	now := time.Now()
	for i := 1; i <= 9; i++ {
		feed(c, initiation(t, c, patternXX, nil), addrPort(fmt.Sprintf("10.2.0.%d", i), 1), now)
	}
	all, first := halfOpenCount(c, "10.2.0.1")
	_, last := halfOpenCount(c, "10.2.0.9")
	if all != 8 || first != 0 || last != 1 {
		t.Fatalf("half-open %d, oldest source %d, newest %d; want 8, 0, 1", all, first, last)
	}
	s := c.Stats()
	if s.Drops[DropHandshakeTableFull] != 0 || s.Drops[DropHalfOpenEvicted] != 1 {
		t.Fatalf("table-full %d, evicted %d; want 0, 1", s.Drops[DropHandshakeTableFull], s.Drops[DropHalfOpenEvicted])
	}
}

// A flood of XX initiations from proven sources fills the half-open table;
// IK initiations (new sessions and every rekey) still complete, and a new
// XX initiation still gets in.
func TestIKNotBlockedByHalfOpenFlood(t *testing.T) {
	c := nullConn(t, Options{MaxHalfOpen: 4, CookieRate: 1e6})
	now := time.Now()
	for i := 1; i <= 4; i++ {
		from := addrPort(fmt.Sprintf("10.3.0.%d", i), 1)
		feed(c, withCookie(t, c, initiation(t, c, patternXX, nil), from), from, now)
	}
	if all, _ := halfOpenCount(c, "10.3.0.1"); all != 4 {
		t.Fatalf("flood left %d half-open, want 4", all)
	}
	from := addrPort("10.3.0.5", 1)
	feed(c, withCookie(t, c, initiation(t, c, patternIK, c.local.static.Public), from), from, now)
	if s := c.Stats(); s.HandshakesIK != 1 || s.Drops[DropHandshakeTableFull] != 0 {
		t.Fatalf("IK initiation with the half-open table full: %d completed, %d table-full drops", s.HandshakesIK, s.Drops[DropHandshakeTableFull])
	}
	from = addrPort("10.3.0.6", 1)
	feed(c, withCookie(t, c, initiation(t, c, patternXX, nil), from), from, now)
	if _, n := halfOpenCount(c, "10.3.0.6"); n != 1 {
		t.Fatal("new XX initiation refused with the table full")
	}
}

// Under load the per-source limit is charged only by initiations with a
// valid mac2 (from a proven address): spoofed packets from a victim's
// address cannot use up its tokens. Not under load nothing is limited.
func TestRateLimitOnlyAfterMac2(t *testing.T) {
	t.Run("under load", func(t *testing.T) {
		c := nullConn(t, Options{CookieLoad: -1, HandshakeRate: 0.001, HandshakeBurst: 1})
		now := time.Now()
		victim := addrPort("10.4.0.1", 7946)
		for range 20 { // spoofed: no cookie
			feed(c, initiation(t, c, patternXX, nil), victim, now)
		}
		s := c.Stats()
		if s.Drops[DropCookieRequired] != 20 || s.Drops[DropRateLimited] != 0 {
			t.Fatalf("cookie-required %d, rate-limited %d; want 20, 0", s.Drops[DropCookieRequired], s.Drops[DropRateLimited])
		}
		feed(c, withCookie(t, c, initiation(t, c, patternXX, nil), victim), victim, now)
		if _, n := halfOpenCount(c, "10.4.0.1"); n != 1 {
			t.Fatalf("the victim's own initiation was refused (rate-limited %d)", c.Stats().Drops[DropRateLimited])
		}
		feed(c, withCookie(t, c, initiation(t, c, patternXX, nil), victim), victim, now)
		if d := c.Stats().Drops[DropRateLimited]; d != 1 {
			t.Fatalf("proven source over its rate: %d rate-limited, want 1", d)
		}
	})
	t.Run("not under load", func(t *testing.T) {
		c := nullConn(t, Options{MaxHalfOpen: 100, CookieLoad: 100, CookieRate: 1e6, HandshakeRate: 0.001, HandshakeBurst: 1})
		now := time.Now()
		for i := range 5 {
			feed(c, initiation(t, c, patternXX, nil), addrPort("10.4.0.2", i+1), now)
		}
		if _, n := halfOpenCount(c, "10.4.0.2"); n != 5 || c.Stats().Drops[DropRateLimited] != 0 {
			t.Fatalf("%d of 5 initiations accepted, %d rate-limited", n, c.Stats().Drops[DropRateLimited])
		}
	})
}

// The reader only checks mac1 and queues a msg1: the DH and signature work
// happens on the handshake worker, so a flood of initiations cannot stall
// data packets; past the queue's bound msg1s are dropped and counted.
func TestInitWorkOffReader(t *testing.T) {
	c := nullConn(t, Options{})
	c.Close() // the handshake worker is gone: what the reader queues stays queued
	now := time.Now()
	pkt := initiation(t, c, patternXX, nil)
	for i := range initQueueLen + 5 {
		c.handlePacket(pkt, addrPort("10.5.0.1", i+1), now)
	}
	if all, _ := halfOpenCount(c, "10.5.0.1"); all != 0 {
		t.Fatalf("the reader answered %d initiations itself", all)
	}
	if len(c.initQ) != initQueueLen || c.Stats().Drops[DropHandshakeQueueFull] != 5 {
		t.Fatalf("queued %d, handshake-queue-full %d; want %d, 5", len(c.initQ), c.Stats().Drops[DropHandshakeQueueFull], initQueueLen)
	}
}
