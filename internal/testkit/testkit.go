// Package testkit holds the helpers gwyh's tests share across packages:
// polling for a condition with a deadline, and deterministic identities.
// It is imported by _test.go files only.
package testkit

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Poll is how often Eventually checks its condition.
const Poll = 2 * time.Millisecond

// Eventually checks cond every Poll until it holds; if within passes first
// it runs onFail (to log state) and fails t, naming what it waited for.
// It is the only way gwyh's tests wait for something that happens in
// other goroutines: no test sleeps and hopes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool, onFail ...func()) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			for _, f := range onFail {
				f()
			}
			t.Fatalf("timed out after %v waiting for %s", within, what)
			return // for a testing.TB whose Fatalf does not stop the goroutine
		}
		<-tick.C
	}
}

// Identity returns the identity whose 32-byte seed starts with label (the
// rest zero): the same label gives the same peer ID in every run.
func Identity(t testing.TB, label string) *peer.Identity {
	t.Helper()
	seed := make([]byte, 32)
	copy(seed, label)
	id, err := peer.IdentityFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Buffer is a bytes.Buffer safe for concurrent writers and readers, for
// capturing a log or a command's output while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// FreeUDPAddr returns a 127.0.0.1 UDP address that was free a moment ago:
// nothing listens there until someone binds it (a dead address for a dial,
// or one to listen on).
func FreeUDPAddr(t testing.TB) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}
