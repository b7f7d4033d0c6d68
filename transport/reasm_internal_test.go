package transport

import (
	"net/netip"
	"testing"
	"time"
)

// nullConn is a Conn on a socket that never delivers anything, for tests
// that drive its handlers directly.
func nullConn(t testing.TB, o Options) *Conn {
	t.Helper()
	o.Socket = newNullSocket()
	c, err := Listen("", testIdentity(t, 1), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// addTestPeer puts a peer with no session into c's table, as install does.
func addTestPeer(c *Conn, seed byte) *peerState {
	p := &peerState{}
	p.id[0] = seed
	c.mu.Lock()
	c.peers[p.id] = p
	c.mu.Unlock()
	return p
}

func reasmTotal(c *Conn) int {
	c.reasmMu.Lock()
	defer c.reasmMu.Unlock()
	return c.reasm.Total()
}

// The reader looked up a keypair of p just before removePeer ran on another
// goroutine, and hands a fragment to p's reassembler afterwards: it must be
// refused, not charged to the node-wide budget for ever.
func TestReassemblyBudgetExactAfterRemove(t *testing.T) {
	c := nullConn(t, Options{})
	from := netip.MustParseAddrPort("10.0.0.2:1")
	now := time.Now()
	data := make([]byte, minFragmentData)
	for i := range 50 {
		p := addTestPeer(c, byte(i))
		c.handleFragment(p, frame{Type: frameFragment, MsgID: 1, Index: 0, Count: 3, Data: data}, from, now)
		if reasmTotal(c) == 0 {
			t.Fatal("partial not charged")
		}
		before := c.Stats().Drops[DropPeerDown]
		c.removePeer(p)
		if got := reasmTotal(c); got != 0 {
			t.Fatalf("round %d: %d bytes charged after removePeer", i, got)
		}
		// The late fragment, for a new message and for the old one.
		c.handleFragment(p, frame{Type: frameFragment, MsgID: 2, Index: 0, Count: 3, Data: data}, from, now)
		c.handleFragment(p, frame{Type: frameFragment, MsgID: 1, Index: 1, Count: 3, Data: data}, from, now)
		if got := reasmTotal(c); got != 0 {
			t.Fatalf("round %d: %d bytes charged by fragments of a removed peer", i, got)
		}
		if d := c.Stats().Drops[DropPeerDown] - before; d != 2 {
			t.Fatalf("round %d: %d late fragments counted, want 2", i, d)
		}
	}
}
