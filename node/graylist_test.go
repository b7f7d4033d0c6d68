package node

import (
	"context"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// A peer whose messages the validator keeps rejecting is graylisted,
// disconnected (both sides see it go), and not let back in although it
// keeps redialling (the victim is its bootstrap peer).
func TestGraylistedPeerDisconnected(t *testing.T) {
	sp := score.DefaultParams("t")
	victimCfg := testConfig(t, 0)
	victimCfg.Score = &sp
	victimCfg.DisconnectBackoff = time.Minute
	victim, err := New(victimCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { victim.Close() })
	badCfg := testConfig(t, 1)
	badCfg.Bootstrap = []string{victim.Addr().String()}
	bad, err := New(badCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bad.Close() })

	reject := func(context.Context, peer.ID, []byte) validator.Result { return validator.Reject }
	if _, err := victim.JoinTopic("t", TopicOptions{Validator: reject}); err != nil {
		t.Fatal(err)
	}
	h, err := bad.JoinTopic("t", TopicOptions{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "connected", func() bool { return len(victim.Peers()) == 1 })

	k := 0
	testkit.Eventually(t, 10*time.Second, "graylisted and disconnected", func() bool {
		k++
		_, _ = h.Publish(context.Background(), []byte{byte(k), byte(k >> 8)})
		st, _ := victim.Stats()
		return st.Shed == 1 && len(victim.Peers()) == 0 && len(bad.Peers()) == 0
	})
	st, _ := victim.Stats()
	if st.Transport.Disconnects == 0 {
		t.Fatalf("no transport disconnect: %+v", st.Transport)
	}
	// bad redials its bootstrap peer every DialBackoff (50 ms); each new
	// session is ended at once.
	testkit.Eventually(t, 10*time.Second, "redials refused", func() bool {
		st, _ := victim.Stats()
		return st.Refused >= 2
	})
	for _, id := range victim.Peers() {
		if id == bad.ID() {
			t.Fatal("graylisted peer is connected again")
		}
	}
}
