package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if the example leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the example small: every cache must end consistent.
func TestRun(t *testing.T) {
	if err := run(3, 30); err != nil {
		t.Fatal(err)
	}
}
