package router

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

func TestAddPeerAnnouncesSubscriptions(t *testing.T) {
	e := newEnv(t, nil)
	e.join("a")
	e.join("b")
	e.addPeers(1, 1, Inbound)
	if got, want := e.summary(), "[1]: sub(+a) sub(+b)"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestJoinGraftsUpToD(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 10, Inbound, "t")
	e.addPeers(11, 12, Inbound) // not in the topic
	e.join("t")
	mesh := e.meshOf("t")
	if len(mesh) != 6 {
		t.Fatalf("mesh %v, want 6 peers", mesh)
	}
	for _, i := range mesh {
		if i > 10 {
			t.Fatalf("grafted peer %d which is not in the topic", i)
		}
		if s := e.sendTo(i); s == nil || len(s.Graft) != 1 || s.Graft[0].Topic != "t" {
			t.Fatalf("peer %d got no GRAFT", i)
		}
	}
	for i := 1; i <= 12; i++ {
		if s := e.sendTo(i); s == nil || len(s.Subscriptions) != 1 {
			t.Fatalf("peer %d not told of the subscription", i)
		}
	}
	if n := e.countEvents(EventGraft); n != 6 {
		t.Fatalf("%d graft events", n)
	}
	if err := e.r.Join(e.now, "t"); !errors.Is(err, ErrJoined) {
		t.Fatalf("second Join: %v", err)
	}
}

func TestJoinGraftsFanoutFirst(t *testing.T) {
	e, fan := fanoutEnv(t, 20)
	e.join("t")
	if got := e.meshOf("t"); !slices.Equal(got, fan) {
		t.Fatalf("mesh %v, want the fan-out %v", got, fan)
	}
	if len(e.r.Fanout("t")) != 0 {
		t.Fatal("fan-out kept after join")
	}
}

func TestLeaveSendsPruneWithUnsubscribeBackoff(t *testing.T) {
	e := newJoinedEnv(t, nil, 3)
	if err := e.r.Leave(e.now, "t"); err != nil {
		t.Fatal(err)
	}
	e.ready()
	want := "[1]: sub(-t) prune(t,b=10,px=2)\n[2]: sub(-t) prune(t,b=10,px=2)\n[3]: sub(-t) prune(t,b=10,px=2)"
	if got := e.summary(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if err := e.r.Leave(e.now, "t"); !errors.Is(err, ErrNotJoined) {
		t.Fatalf("second Leave: %v", err)
	}
	// Rejoining within the backoff grafts nobody.
	e.join("t")
	if m := e.meshOf("t"); len(m) != 0 {
		t.Fatalf("grafted %v during unsubscribe backoff", m)
	}
	e.now = e.now.Add(11 * time.Second)
	e.heartbeats(1)
	if m := e.meshOf("t"); len(m) != 3 {
		t.Fatalf("after the backoff the heartbeat should graft all 3, got %v", m)
	}
}

func TestPeerTopicsBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxPeerTopics = 2 })
	e.addPeers(1, 1, Inbound, "a", "b", "c", "d")
	if got := e.r.PeerTopics(pid(1)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("topics %v", got)
	}
	if n := e.r.Stats().Drops[DropTooManyTopics]; n != 2 {
		t.Fatalf("%d drops counted", n)
	}
	e.rpcFrom(1, &rpc.RPC{Subscriptions: []rpc.SubOpts{{Topic: "a"}, {Subscribe: true, Topic: "c"}}})
	if got := e.r.PeerTopics(pid(1)); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("after unsubscribe, topics %v", got)
	}
}

func TestRemovePeerLeavesMesh(t *testing.T) {
	e := newJoinedEnv(t, nil, 3)
	e.r.RemovePeer(e.now, pid(2))
	e.ready()
	if got := e.meshOf("t"); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("mesh %v", got)
	}
	if e.countEvents(EventPrune) != 1 || len(e.r.Peers()) != 2 {
		t.Fatal("removal not reported")
	}
}
