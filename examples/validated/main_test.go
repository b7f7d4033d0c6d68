package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if the example leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the example; it fails if a node cannot start or join.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 3 s")
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
