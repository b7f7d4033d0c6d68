// Package testkit holds the helpers gwyh's tests share across packages:
// polling for a condition with a deadline, and deterministic identities.
// It is imported by _test.go files only.
package testkit

import (
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
