package router

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// env is one Router under test with scripted peers: the test plays the
// peers by calling HandleRPC and reads what the router sends them. Peers
// are numbered from 1 (pid); the router is 0.
type env struct {
	t   testing.TB
	r   *Router
	now time.Time
	sc  *fakeScorer // the Scorer when it is a fakeScorer
	out *Output
}

// newEnv returns a StrictNoSign router (cheap ids, noSignConfig); mod may
// change the config.
func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	c := noSignConfig(0, 42)
	if mod != nil {
		mod(&c)
	}
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, r: r, now: t0}
	e.sc, _ = c.Scorer.(*fakeScorer)
	return e
}

// newJoinedEnv returns newEnv(t, mod) joined to "t" with inbound peers
// 1..peers in it.
func newJoinedEnv(t testing.TB, mod func(*Config), peers int) *env {
	e := newEnv(t, mod)
	e.addPeers(1, peers, Inbound, "t")
	e.join("t")
	return e
}

// fanoutEnv returns a router without FloodPublish that has published
// message 1 to "t", unjoined, among inbound peers 1..peers; the fan-out
// it chose has D=6 peers.
func fanoutEnv(t testing.TB, peers int) (*env, []int) {
	t.Helper()
	e := newEnv(t, func(c *Config) { c.Params.FloodPublish = false })
	e.addPeers(1, peers, Inbound, "t")
	if _, err := e.publish("t", msg("t", 1, 8).Data); err != nil {
		t.Fatal(err)
	}
	fan := e.indices(e.r.Fanout("t"))
	if len(fan) != 6 {
		t.Fatalf("fanout %v", fan)
	}
	return e, fan
}

// scorer is the router's real score.Scorer (nil under a fakeScorer).
func (e *env) scorer() *score.Scorer { return realScorer(e.r) }

// addPeers adds peers from..to (inclusive), subscribed to topics.
func (e *env) addPeers(from, to int, dir Direction, topics ...string) {
	e.addPeersWith(from, to, PeerOptions{Direction: dir}, topics...)
}

// addPeersWith adds peers from..to (inclusive) with opts and address
// record "rec-i", subscribed to topics.
func (e *env) addPeersWith(from, to int, opts PeerOptions, topics ...string) {
	for i := from; i <= to; i++ {
		opts.Record = []byte(fmt.Sprintf("rec-%d", i))
		e.r.AddPeer(e.now, pid(i), opts)
		if len(topics) > 0 {
			m := &rpc.RPC{}
			for _, t := range topics {
				m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: true, Topic: t})
			}
			e.r.HandleRPC(e.now, pid(i), m)
		}
	}
	e.ready()
}

func (e *env) ready() *Output { e.out = e.r.Ready(); return e.out }

// rpcFrom hands m to the router as if peer i sent it.
func (e *env) rpcFrom(i int, m *rpc.RPC) *Output {
	e.r.HandleRPC(e.now, pid(i), m)
	return e.ready()
}

func (e *env) join(topic string) *Output {
	if err := e.r.Join(e.now, topic); err != nil {
		e.t.Fatal(err)
	}
	return e.ready()
}

// publish makes the router publish data on topic.
func (e *env) publish(topic string, data []byte) (string, error) {
	id, err := e.r.Publish(e.now, topic, data)
	e.ready()
	return id, err
}

// tick advances time by d and calls Tick.
func (e *env) tick(d time.Duration) *Output {
	e.now = e.now.Add(d)
	e.r.Tick(e.now)
	return e.ready()
}

// heartbeat advances time by one HeartbeatInterval and ticks.
func (e *env) heartbeat() *Output { return e.tick(e.r.p.HeartbeatInterval) }

// heartbeats runs n heartbeats.
func (e *env) heartbeats(n int) {
	for i := 0; i < n; i++ {
		e.heartbeat()
	}
}

// sendTo returns the RPC sent to peer i in the last output (nil if none).
func (e *env) sendTo(i int) *rpc.RPC {
	for k := range e.out.Sends {
		if e.out.Sends[k].To == pid(i) {
			return &e.out.Sends[k].RPC
		}
	}
	return nil
}

// iwantTo returns the ids the last output asks of peer i.
func (e *env) iwantTo(i int) []string {
	var ids []string
	if s := e.sendTo(i); s != nil {
		for _, w := range s.IWant {
			ids = append(ids, w.IDs...)
		}
	}
	return ids
}

// meshOf returns the scripted peer indices in topic's mesh, sorted.
func (e *env) meshOf(topic string) []int {
	return e.indices(e.r.Mesh(topic))
}

// indices returns the scripted peer indices of ids, sorted.
func (e *env) indices(ids []peer.ID) []int {
	var l []int
	for _, id := range ids {
		for i := 1; i < 1000; i++ {
			if pid(i) == id {
				l = append(l, i)
				break
			}
		}
	}
	slices.Sort(l)
	return l
}

// summary prints the Sends compactly, one line per peer, for readable
// expectations: "[3]: graft(t) prune(t,b=60,px=2) msg(t) ihave(t:2) iwant(7,8) idw(1) sub(+t)".
func (e *env) summary() string {
	var lines []string
	for _, s := range e.out.Sends {
		var parts []string
		for _, x := range s.RPC.Subscriptions {
			sign := "-"
			if x.Subscribe {
				sign = "+"
			}
			parts = append(parts, "sub("+sign+x.Topic+")")
		}
		for _, x := range s.RPC.Graft {
			parts = append(parts, "graft("+x.Topic+")")
		}
		for _, x := range s.RPC.Prune {
			parts = append(parts, fmt.Sprintf("prune(%s,b=%d,px=%d)", x.Topic, x.Backoff, len(x.Peers)))
		}
		for _, x := range s.RPC.Publish {
			parts = append(parts, "msg("+x.Topic+")")
		}
		for _, x := range s.RPC.IHave {
			parts = append(parts, fmt.Sprintf("ihave(%s:%d)", x.Topic, len(x.IDs)))
		}
		for _, x := range s.RPC.IWant {
			parts = append(parts, "iwant("+seqs(x.IDs)+")")
		}
		for _, x := range s.RPC.IDontWant {
			parts = append(parts, fmt.Sprintf("idw(%d)", len(x.IDs)))
		}
		lines = append(lines, fmt.Sprintf("%v: %s", e.indices([]peer.ID{s.To}), strings.Join(parts, " ")))
	}
	return strings.Join(lines, "\n")
}

// seqs prints the sequence numbers of msgID ids ("?" for another id).
func seqs(ids []string) string {
	l := make([]string, len(ids))
	for i, id := range ids {
		l[i] = "?"
		if len(id) == 8 {
			l[i] = fmt.Sprint(binary.BigEndian.Uint64([]byte(id)))
		}
	}
	return strings.Join(l, ",")
}

// countEvents counts the last output's events of kind k.
func (e *env) countEvents(k EventKind) int {
	n := 0
	for _, ev := range e.out.Events {
		if ev.Kind == k {
			n++
		}
	}
	return n
}
