package main

import "testing"

// TestRun runs the example small: every cache must end consistent.
func TestRun(t *testing.T) {
	if err := run(3, 30); err != nil {
		t.Fatal(err)
	}
}
