package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/topic"

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

// The wait for the meshes is bounded: a station alone in its topic gets a
// clear error instead of waiting forever.
func TestWaitMeshTimesOut(t *testing.T) {
	n, err := newNode()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	tp, err := topic.Join(n, topicName, topic.JSON[reading]())
	if err != nil {
		t.Fatal(err)
	}
	err = waitMesh(context.Background(), tp.Handle(), 1, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "has 0 of 1 peers") {
		t.Fatalf("waitMesh alone: %v, want a timeout saying the mesh has 0 of 1 peers", err)
	}
}
