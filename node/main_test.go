package node

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// node is closed by its test, and Close must end everything it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
