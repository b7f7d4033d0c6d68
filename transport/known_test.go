package transport

import (
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/peer"
)

// TestKnownTableBound checks the table of learned static keys and
// initiation timestamps against its contract: at most MaxPeers entries, plus
// one while all of them are live; a live peer's entry is never forgotten;
// among the others the least recently remembered goes first.
func TestKnownTableBound(t *testing.T) {
	const maxPeers = 4
	c, err := Listen("", testIdentity(t, 1), Options{Socket: newNullSocket(), MaxPeers: maxPeers, Clock: clock.NewMock()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := func(i int) peer.ID { return peer.ID{byte(i), 1} }
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range maxPeers { // every entry live: one more is allowed
		c.peers[id(i)] = &peerState{id: id(i)}
		c.rememberLocked(id(i), []byte{1}, 0, nil)
	}
	c.rememberLocked(id(100), nil, 0, &tai64n{1})
	if n := c.known.Len(); n != maxPeers+1 {
		t.Fatalf("%d entries with all %d live, want %d", n, maxPeers, maxPeers+1)
	}
	delete(c.peers, id(0))
	delete(c.peers, id(1))
	for i := 101; i < 110; i++ {
		c.rememberLocked(id(i), nil, 0, &tai64n{1})
		if n := c.known.Len(); n > maxPeers+1 {
			t.Fatalf("%d entries, want at most %d", n, maxPeers+1)
		}
	}
	for i := 2; i < maxPeers; i++ {
		if !c.known.Contains(id(i)) {
			t.Fatalf("live peer %d forgotten", i)
		}
	}
	// The rest are the most recently remembered of the others (three, as the
	// table reached MaxPeers+1 while all were live).
	for i := 100; i < 107; i++ {
		if c.known.Contains(id(i)) {
			t.Fatalf("entry %d kept over newer ones", i)
		}
	}
	if !c.known.Contains(id(107)) || !c.known.Contains(id(108)) || !c.known.Contains(id(109)) {
		t.Fatal("the newest entries were forgotten")
	}
}
