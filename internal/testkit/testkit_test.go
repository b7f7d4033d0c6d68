package testkit

import (
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records a failure instead of stopping the test.
type fakeT struct {
	testing.TB
	failed atomic.Bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed.Store(true)
	f.msg = format
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	Eventually(t, time.Second, "the third poll", func() bool { return n.Add(1) >= 3 })
	ft := &fakeT{TB: t}
	logged := false
	Eventually(ft, 10*time.Millisecond, "never", func() bool { return false }, func() { logged = true })
	if !ft.failed.Load() || !logged {
		t.Fatalf("a condition that never holds: failed %v, onFail ran %v", ft.failed.Load(), logged)
	}
}

func TestIdentityDeterministic(t *testing.T) {
	a, b, c := Identity(t, "x-1"), Identity(t, "x-1"), Identity(t, "x-2")
	if a.ID() != b.ID() || a.ID() == c.ID() {
		t.Fatalf("same label: %v %v; other label: %v", a.ID(), b.ID(), c.ID())
	}
}
