package node

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/benbjohnson/clock"
)

// TestHeartbeatFollowsConfigClock checks that the router's time comes from
// Config.Clock: with a mock clock no heartbeat runs until the test moves
// the clock, and each interval moved runs one.
func TestHeartbeatFollowsConfigClock(t *testing.T) {
	mock := clock.NewMock()
	cfg := testConfig(t, 0)
	cfg.Clock = mock
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.JoinTopic("t", TopicOptions{}); err != nil {
		t.Fatal(err)
	}
	heartbeats := func() uint64 {
		st, err := n.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st.Router.Heartbeats
	}
	if h := heartbeats(); h != 0 {
		t.Fatalf("%d heartbeats before the clock moved", h)
	}
	for i := uint64(1); i <= 3; i++ {
		mock.Add(cfg.Gossip.HeartbeatInterval)
		testkit.Eventually(t, 5*time.Second, "a heartbeat", func() bool { return heartbeats() >= i })
	}
	if h := heartbeats(); h != 3 {
		t.Fatalf("%d heartbeats after three intervals, want 3", h)
	}
}
