package router

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// env is one Router under test with scripted peers: the test plays the
// peers by calling HandleRPC and reads what the router sends them.
type env struct {
	t   *testing.T
	r   *Router
	now time.Time
	sc  *fakeScorer
	out *Output
}

// newEnv returns a StrictNoSign router (cheap ids) with params p; mod may
// change the config.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	c := noSignConfig(0, 42)
	if mod != nil {
		mod(&c)
	}
	e := &env{t: t, now: t0}
	if c.Scorer != nil {
		e.sc = c.Scorer.(*fakeScorer)
	}
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	return e
}

// withScorer installs a fakeScorer with permissive thresholds.
func withScorer(c *Config) {
	c.Scorer = newFakeScorer()
	c.Thresholds = score.Thresholds{
		GossipThreshold: -10, PublishThreshold: -20, GraylistThreshold: -30,
		AcceptPXThreshold: 5, OpportunisticGraftThreshold: 1,
	}
}

// p returns the ID of scripted peer i (≥ 1; 0 is the router).
func p(i int) peer.ID { return testID(i) }

// addPeers adds peers from..to (inclusive), subscribed to topics.
func (e *env) addPeers(from, to int, dir Direction, topics ...string) {
	for i := from; i <= to; i++ {
		e.r.AddPeer(e.now, p(i), PeerOptions{Direction: dir, Record: []byte(fmt.Sprintf("rec-%d", i))})
		if len(topics) > 0 {
			m := &rpc.RPC{}
			for _, t := range topics {
				m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: true, Topic: t})
			}
			e.r.HandleRPC(e.now, p(i), m)
		}
	}
	e.ready()
}

func (e *env) ready() *Output { e.out = e.r.Ready(); return e.out }

// rpcFrom hands m to the router as if peer i sent it.
func (e *env) rpcFrom(i int, m *rpc.RPC) *Output {
	e.r.HandleRPC(e.now, p(i), m)
	return e.ready()
}

func (e *env) join(topic string) *Output {
	if err := e.r.Join(e.now, topic); err != nil {
		e.t.Fatal(err)
	}
	return e.ready()
}

// tick advances time by d and calls Tick.
func (e *env) tick(d time.Duration) *Output {
	e.now = e.now.Add(d)
	e.r.Tick(e.now)
	return e.ready()
}

// heartbeats runs n heartbeats.
func (e *env) heartbeats(n int) {
	for i := 0; i < n; i++ {
		e.tick(e.r.p.HeartbeatInterval)
	}
}

// sendTo returns the RPC sent to peer i in the last output (nil if none).
func (e *env) sendTo(i int) *rpc.RPC {
	for k := range e.out.Sends {
		if e.out.Sends[k].To == p(i) {
			return &e.out.Sends[k].RPC
		}
	}
	return nil
}

// msg returns a StrictNoSign message with an 8-byte id seq.
func msg(topic string, seq uint64, size int) rpc.Message {
	d := make([]byte, max(size, 8))
	for i := 0; i < 8; i++ {
		d[i] = byte(seq >> (56 - 8*i))
	}
	return rpc.Message{Topic: topic, Data: d}
}

func msgID(seq uint64) string {
	m := msg("", seq, 8)
	return string(m.Data[:8])
}

// meshOf returns the scripted peer indices in topic's mesh, sorted.
func (e *env) meshOf(topic string) []int {
	return e.indices(e.r.Mesh(topic))
}

func (e *env) indices(ids []peer.ID) []int {
	var l []int
	for _, id := range ids {
		for i := 1; i < 1000; i++ {
			if p(i) == id {
				l = append(l, i)
				break
			}
		}
	}
	slices.Sort(l)
	return l
}

// summary prints the Sends compactly, one line per peer, for readable
// expectations: "3: graft(t) prune(t,b=60,px=2) msg(t) ihave(t:2) iwant(1) idw(1) sub(+t)".
func (e *env) summary() string {
	var lines []string
	for _, s := range e.out.Sends {
		idx := e.indices([]peer.ID{s.To})
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
			parts = append(parts, fmt.Sprintf("iwant(%d)", len(x.IDs)))
		}
		for _, x := range s.RPC.IDontWant {
			parts = append(parts, fmt.Sprintf("idw(%d)", len(x.IDs)))
		}
		lines = append(lines, fmt.Sprintf("%v: %s", idx, strings.Join(parts, " ")))
	}
	return strings.Join(lines, "\n")
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

// fakeScorer is an in-memory Scorer: scores are set by the test, calls
// are recorded.
type fakeScorer struct {
	scores    map[peer.ID]float64
	penalties map[peer.ID]int
	rejects   []string // "peer-index:reason"
	delivered int
	dups      int
	refreshes int
}

var _ Scorer = (*fakeScorer)(nil)

func newFakeScorer() *fakeScorer {
	return &fakeScorer{scores: map[peer.ID]float64{}, penalties: map[peer.ID]int{}}
}

func (f *fakeScorer) AddPeer(time.Time, peer.ID, netip.Addr)             {}
func (f *fakeScorer) RemovePeer(time.Time, peer.ID)                      {}
func (f *fakeScorer) Join(time.Time, string)                             {}
func (f *fakeScorer) Leave(time.Time, string)                            {}
func (f *fakeScorer) Graft(time.Time, peer.ID, string)                   {}
func (f *fakeScorer) Prune(time.Time, peer.ID, string)                   {}
func (f *fakeScorer) ValidateMessage(time.Time, peer.ID, string, string) {}
func (f *fakeScorer) DeliverMessage(time.Time, peer.ID, string, string) {
	f.delivered++
}
func (f *fakeScorer) RejectMessage(_ time.Time, p peer.ID, _, _ string, r score.Reason) {
	f.rejects = append(f.rejects, r.String())
}
func (f *fakeScorer) DuplicateMessage(time.Time, peer.ID, string, string) { f.dups++ }
func (f *fakeScorer) AddPenalty(p peer.ID, n int)                         { f.penalties[p] += n }
func (f *fakeScorer) Refresh(time.Time)                                   { f.refreshes++ }
func (f *fakeScorer) Score(p peer.ID) float64                             { return f.scores[p] }

// seeded returns a fresh deterministic source.
func seeded(s uint64) *rand.Rand { return rand.New(rand.NewPCG(s, s)) }
