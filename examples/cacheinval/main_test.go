package main

import (
	"bytes"
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

// TestRun runs the example small: every cache must end consistent, and
// the report says what arrived: every invalidation, at every other
// service.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, 3, 60, 2*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  50 writes: ", " invalidations received, ",
		"after the last write: 120 of 120 invalidations received, ", "stale cache entries evicted (0 more await theirs)\n",
		"every cache is consistent with the store",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "stale cache entries right now") {
		t.Errorf("progress reads as if invalidations never arrive:\n%s", out.String())
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
