package router

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// eventsOf prints the last output's events of the given kinds, one
// "kind [peer] topic" per event, in order.
func (e *env) eventsOf(kinds ...EventKind) []string {
	var l []string
	for _, ev := range e.out.Events {
		if slices.Contains(kinds, ev.Kind) {
			l = append(l, fmt.Sprintf("%v %v %s", ev.Kind, e.indices([]peer.ID{ev.Peer}), ev.Topic))
		}
	}
	return l
}

func idb(i int) []byte { id := pid(i); return id[:] }

func sub(on bool, topics ...string) *rpc.RPC {
	m := &rpc.RPC{}
	for _, t := range topics {
		m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: on, Topic: t})
	}
	return m
}

// A peer joining or leaving a joined topic, by subscription or by
// disconnecting, is an event; topics the router has not joined are not
// reported, nor repeated subscriptions.
func TestSubscriptionEvents(t *testing.T) {
	e := newJoinedEnv(t, nil, 2)
	e.addPeers(3, 3, Inbound)
	kinds := []EventKind{EventSubscribe, EventUnsubscribe}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"subscribe", func() { e.rpcFrom(3, sub(true, "t", "other")) }, []string{"subscribe [3] t"}},
		{"again", func() { e.rpcFrom(3, sub(true, "t")) }, nil},
		{"unsubscribe", func() { e.rpcFrom(3, sub(false, "t", "other")) }, []string{"unsubscribe [3] t"}},
		{"unsubscribe unknown", func() { e.rpcFrom(3, sub(false, "t")) }, nil},
		{"disconnect", func() { e.r.RemovePeer(e.now, pid(1)); e.ready() }, []string{"unsubscribe [1] t"}},
		{"disconnect unsubscribed", func() { e.r.RemovePeer(e.now, pid(3)); e.ready() }, nil},
	}
	for _, s := range steps {
		s.do()
		if got := e.eventsOf(kinds...); !slices.Equal(got, s.want) {
			t.Fatalf("%s: events %q, want %q", s.name, got, s.want)
		}
	}
	if got := e.indices(e.r.TopicPeers("t")); !slices.Equal(got, []int{2}) {
		t.Fatalf("topic peers %v, want [2]", got)
	}
}

// A blacklisted peer is removed (and reported), refused when it comes
// back, its input and the messages it authored are dropped and counted,
// and peer exchange does not offer it; Unblacklist lets it back.
func TestBlacklist(t *testing.T) {
	e := newJoinedEnv(t, nil, 3)
	if len(e.meshOf("t")) != 3 {
		t.Fatalf("mesh %v", e.meshOf("t"))
	}
	e.r.Blacklist(e.now, pid(2))
	e.ready()
	want := []string{"unsubscribe [2] t", "prune [2] t", "blacklisted [2] "}
	if got := e.eventsOf(EventPrune, EventUnsubscribe, EventBlacklisted); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if slices.Contains(e.r.Peers(), pid(2)) || !slices.Equal(e.r.Blacklisted(), []peer.ID{pid(2)}) {
		t.Fatalf("peers %v blacklisted %v", e.indices(e.r.Peers()), e.indices(e.r.Blacklisted()))
	}

	e.r.AddPeer(e.now, pid(2), PeerOptions{})
	e.ready()
	if slices.Contains(e.r.Peers(), pid(2)) || e.countEvents(EventBlacklisted) != 1 {
		t.Fatal("a blacklisted peer was added again")
	}
	if err := e.r.HandlePayload(e.now, pid(2), []byte{}); !errors.Is(err, ErrBlacklisted) {
		t.Fatalf("payload from a blacklisted peer: %v", err)
	}
	e.r.HandleRPC(e.now, pid(2), pub(msg("t", 1, 8)))
	if e.r.Stats().Drops[DropBlacklisted] != 2 {
		t.Fatalf("drops %v", e.r.Stats().Drops)
	}

	// A message authored by peer 2, forwarded by peer 1.
	m := msg("t", 2, 8)
	m.From = idb(2)
	e.rpcFrom(1, pub(m))
	if len(e.out.Deliveries) != 0 || e.r.Stats().Drops[DropBlacklisted] != 3 {
		t.Fatalf("message by a blacklisted author delivered: %+v drops %v", e.out.Deliveries, e.r.Stats().Drops)
	}

	// Peer exchange from peer 1 suggesting 2 and 9: only 9 is offered.
	e.rpcFrom(1, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Peers: []rpc.PeerInfo{{ID: idb(2)}, {ID: idb(9)}}}}})
	for _, ev := range e.out.Events {
		if ev.Kind == EventPeerExchange && (len(ev.PX) != 1 || ev.PX[0].ID != pid(9)) {
			t.Fatalf("peer exchange %+v", ev.PX)
		}
	}

	e.r.Unblacklist(pid(2))
	e.addPeers(2, 2, Inbound, "t")
	if !slices.Contains(e.r.TopicPeers("t"), pid(2)) {
		t.Fatal("unblacklisted peer not added")
	}
}

// A topic's own message-id function names its messages, own and received;
// other topics keep the router-wide one.
func TestTopicMessageID(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 2, Inbound, "t", "u")
	e.join("t")
	e.join("u")
	byLen := func(m *rpc.Message) string { return fmt.Sprintf("len-%d", len(m.Data)) }
	e.r.SetTopicMessageID("t", byLen)

	id, err := e.publish("t", msg("t", 1, 10).Data)
	if err != nil || id != "len-10" {
		t.Fatalf("publish: %q %v, want len-10", id, err)
	}
	if _, err := e.publish("t", msg("t", 2, 10).Data); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same id under the topic's function: %v", err)
	}
	e.rpcFrom(1, pub(msg("t", 3, 12)))
	if len(e.out.Deliveries) != 1 || e.out.Deliveries[0].ID != "len-12" {
		t.Fatalf("received message id: %+v", e.out.Deliveries)
	}
	if id, _ := e.publish("u", msg("u", 4, 10).Data); id != msgID(4) {
		t.Fatalf("other topic's id %q, want the router-wide one", id)
	}
	e.r.SetTopicMessageID("t", nil)
	if id, _ := e.publish("t", msg("t", 5, 10).Data); id != msgID(5) {
		t.Fatalf("id %q after the topic's function was removed", id)
	}
}

// A topic's validator Timeout and MaxConcurrent apply to it alone: over
// MaxConcurrent a message is throttled, and its validations time out
// after its own Timeout (ignored, counted) while another topic's run on
// the router-wide timeout.
func TestTopicValidatorLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ValidationTimeout = 5 * time.Second })
	e.addPeers(1, 3, Inbound, "t", "u")
	e.join("t")
	e.join("u")
	e.r.SetValidator("t", TopicValidator{Async: true, Timeout: 1500 * time.Millisecond, MaxConcurrent: 2})
	e.r.SetValidator("u", TopicValidator{Async: true})
	e.rpcFrom(1, pub(msg("u", 10, 8)))
	e.now = e.now.Add(100 * time.Millisecond)
	e.rpcFrom(1, pub(msg("t", 1, 8), msg("t", 2, 8), msg("t", 3, 8)))
	if len(e.out.Validations) != 2 || e.r.Stats().Drops[DropValidationThrottled] != 1 {
		t.Fatalf("validations %d, throttled %d: want 2 and 1", len(e.out.Validations), e.r.Stats().Drops[DropValidationThrottled])
	}
	if want := e.now.Add(900 * time.Millisecond); !e.out.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want the heartbeat at %v", e.out.Deadline, want)
	}
	e.heartbeat() // t+1.1 s: nothing expired yet
	if got := e.r.Stats().ValidationTimeout; got != 0 {
		t.Fatalf("%d timed out early", got)
	}
	e.tick(500 * time.Millisecond) // t+1.6 s: t's two are past 1.5 s, u's is not
	if got := e.r.Stats().Drops[DropValidationTimeout]; got != 2 {
		t.Fatalf("timed out %d, want topic t's 2", got)
	}
	vs := e.r.nextPending()
	if want := t0.Add(5 * time.Second); !vs.Equal(want) {
		t.Fatalf("next validation deadline %v, want u's at %v", vs, want)
	}
	e.rpcFrom(2, pub(msg("t", 4, 8)))
	if len(e.out.Validations) != 1 {
		t.Fatal("slots not released by the timeouts")
	}
	e.r.ValidationDone(e.now, e.out.Validations[0].ID, validator.Accept)
	e.ready()
	if len(e.out.Deliveries) != 1 {
		t.Fatal("a validation under a topic timeout could not finish")
	}
}

// PublishBatch sends message i first to the i-th peer, so that the first
// copies of all messages lead every peer's queue; a duplicate in the
// batch publishes nothing.
func TestPublishBatchInterleaves(t *testing.T) {
	e := newJoinedEnv(t, nil, 3)
	var datas [][]byte
	for i := range 4 {
		datas = append(datas, msg("t", uint64(i+1), 8).Data)
	}
	ids, err := e.r.PublishBatch(e.now, "t", datas)
	e.ready()
	if err != nil || len(ids) != 4 || len(e.out.Deliveries) != 4 || len(e.out.Published) != 4 {
		t.Fatalf("ids %q err %v deliveries %d published %d", ids, err, len(e.out.Deliveries), len(e.out.Published))
	}
	// Peer p (0..2) ranks message i (0..3) (p − i) mod 3.
	want := map[int][]uint64{1: {1, 4, 3, 2}, 2: {2, 1, 4, 3}, 3: {3, 2, 1, 4}}
	for p, w := range want {
		var got []uint64
		for _, m := range e.sendTo(p).Publish {
			got = append(got, uint64(m.Data[7]))
		}
		if !slices.Equal(got, w) {
			t.Errorf("peer %d gets %v, want %v", p, got, w)
		}
	}
	// The first copy of every message leads some peer's queue.
	firsts := map[byte]bool{}
	for p := 1; p <= 3; p++ {
		firsts[e.sendTo(p).Publish[0].Data[7]] = true
	}
	if len(firsts) != 3 {
		t.Errorf("queues start with %v: not one distinct message per peer", firsts)
	}

	before := e.r.Stats().Published
	dup := [][]byte{msg("t", 9, 8).Data, msg("t", 9, 8).Data}
	if _, err := e.r.PublishBatch(e.now, "t", dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("batch with a duplicate: %v", err)
	}
	e.ready()
	if e.r.Stats().Published != before || len(e.out.Sends) != 0 {
		t.Fatal("a refused batch published something")
	}
}
