package router

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: the router is sans-IO and starts none.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
