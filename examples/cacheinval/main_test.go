package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/topic"

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

// The wait for the meshes is bounded: a service alone in the topic gets a
// clear error instead of waiting forever.
func TestWaitMeshTimesOut(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	tp, err := topic.Join(n, "cache/invalidate", topic.JSON[invalidation]())
	if err != nil {
		t.Fatal(err)
	}
	svc := &service{name: "svc-0", n: n, inval: tp}
	err = waitMesh(context.Background(), []*service{svc}, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "svc-0 has no mesh peer") {
		t.Fatalf("waitMesh alone: %v, want a timeout naming svc-0", err)
	}
}
