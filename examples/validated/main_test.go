package main

import "testing"

// TestRun runs the example; it fails if a node cannot start or join.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 3 s")
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
