package router_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// This file holds the harness of the scoring integration tests: Routers
// with the real score.Scorer, driven only through the router's exported
// API, with time advanced by the test.

var siT0 = time.Unix(1_700_000_000, 0).UTC()

// siID returns a deterministic peer ID for index i.
func siID(i int) peer.ID {
	var id peer.ID
	binary.BigEndian.PutUint64(id[:], uint64(i)+1)
	sum := sha256.Sum256(id[:8])
	copy(id[8:], sum[:24])
	return id
}

// siMsgID is the message id function: the data's first 8 bytes.
func siMsgID(dst []byte, m *rpc.Message) []byte {
	if len(m.Data) < 8 {
		return append(dst, m.Data...)
	}
	return append(dst, m.Data[:8]...)
}

// siData returns 64 bytes of message data whose id is seq.
func siData(seq uint64) []byte {
	d := make([]byte, 64)
	binary.BigEndian.PutUint64(d, seq)
	return d
}

// siConfig returns a StrictNoSign router config for index i with a real
// Scorer built from sp.
func siConfig(t *testing.T, i int, p router.Params, sp score.Params, th score.Thresholds) (router.Config, *score.Scorer) {
	t.Helper()
	sc, err := score.New(sp)
	if err != nil {
		t.Fatal(err)
	}
	return router.Config{
		ID:              siID(i),
		Params:          p,
		SignaturePolicy: router.StrictNoSign,
		AppendMessageID: siMsgID,
		Rand:            rand.New(rand.NewPCG(uint64(i), 77)),
		Scorer:          sc,
		Thresholds:      th,
	}, sc
}

// snapshotOf returns sc's breakdown of p (ok false when p is unknown).
func snapshotOf(sc *score.Scorer, now time.Time, p peer.ID) (score.PeerScore, bool) {
	for _, s := range sc.Snapshot(now) {
		if s.Peer == p {
			return s, true
		}
	}
	return score.PeerScore{}, false
}

// topicScoreOf returns p's breakdown in topic.
func topicScoreOf(t *testing.T, ps score.PeerScore, topic string) score.TopicScore {
	t.Helper()
	for _, ts := range ps.Topics {
		if ts.Topic == topic {
			return ts
		}
	}
	t.Fatalf("peer %v has no score in topic %q", ps.Peer, topic)
	return score.TopicScore{}
}

// hasEvent reports whether evs holds an event of kind k about p.
func hasEvent(evs []router.Event, k router.EventKind, p peer.ID) bool {
	return slices.ContainsFunc(evs, func(e router.Event) bool { return e.Kind == k && e.Peer == p })
}

// solo is one Router under test whose peers are played by the test: it
// hands RPCs to the router and reads what the router sends back.
type solo struct {
	t   *testing.T
	r   *router.Router
	sc  *score.Scorer
	now time.Time
	out *router.Output
}

func newSolo(t *testing.T, p router.Params, sp score.Params, th score.Thresholds) *solo {
	t.Helper()
	c, sc := siConfig(t, 0, p, sp, th)
	r, err := router.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return &solo{t: t, r: r, sc: sc, now: siT0}
}

func (s *solo) ready() *router.Output { s.out = s.r.Ready(); return s.out }

// addPeers connects scripted peers from..to (inclusive), inbound, each
// subscribed to topic.
func (s *solo) addPeers(from, to int, topic string) {
	for i := from; i <= to; i++ {
		s.r.AddPeer(s.now, siID(i), router.PeerOptions{Record: []byte(fmt.Sprintf("rec-%d", i))})
		s.r.HandleRPC(s.now, siID(i), &rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: topic}}})
	}
	s.ready()
}

func (s *solo) join(topic string) {
	if err := s.r.Join(s.now, topic); err != nil {
		s.t.Fatal(err)
	}
	s.ready()
}

// from hands m to the router as sent by scripted peer i.
func (s *solo) from(i int, m *rpc.RPC) *router.Output {
	s.r.HandleRPC(s.now, siID(i), m)
	return s.ready()
}

// heartbeat advances time by one HeartbeatInterval and ticks.
func (s *solo) heartbeat(p router.Params) *router.Output {
	s.now = s.now.Add(p.HeartbeatInterval)
	s.r.Tick(s.now)
	return s.ready()
}

// iwantTo returns the ids the last output asks of scripted peer i.
func (s *solo) iwantTo(i int) []string {
	var ids []string
	for _, snd := range s.out.Sends {
		if snd.To == siID(i) {
			for _, w := range snd.RPC.IWant {
				ids = append(ids, w.IDs...)
			}
		}
	}
	return ids
}

// siNet wires real Routers in memory: every Send is packed with rpc.Pack
// and handed to the receiver's HandlePayload in FIFO order with no
// latency. Before packing, filter may change a copy of each outgoing RPC
// (to make a router misbehave on the wire while its state stays honest).
type siNet struct {
	t      *testing.T
	now    time.Time
	rs     []*router.Router
	scs    []*score.Scorer
	idx    map[peer.ID]int
	queue  []siEnvelope
	dline  []time.Time
	events [][]router.Event // per router, every event
	filter func(from int, m *rpc.RPC)
	buf    [][]byte
}

type siEnvelope struct {
	from, to int
	payload  []byte
}

// newSiNet returns n routers with params p (changed by mod when not nil),
// each with its own Scorer from sp and thresholds th.
func newSiNet(t *testing.T, n int, p router.Params, sp score.Params, th score.Thresholds, mod func(i int, c *router.Config)) *siNet {
	t.Helper()
	nt := &siNet{t: t, now: siT0, idx: map[peer.ID]int{}}
	for i := 0; i < n; i++ {
		c, sc := siConfig(t, i, p, sp, th)
		if mod != nil {
			mod(i, &c)
		}
		r, err := router.New(c)
		if err != nil {
			t.Fatal(err)
		}
		nt.rs, nt.scs = append(nt.rs, r), append(nt.scs, sc)
		nt.idx[r.ID()] = i
		nt.dline = append(nt.dline, time.Time{})
		nt.events = append(nt.events, nil)
	}
	return nt
}

// connectAll links every pair; dials(i, j) says whether i dialled j
// (else j dialled i).
func (nt *siNet) connectAll(dials func(i, j int) bool) {
	for i := range nt.rs {
		for j := i + 1; j < len(nt.rs); j++ {
			a, b := i, j
			if !dials(i, j) {
				a, b = j, i
			}
			nt.rs[a].AddPeer(nt.now, nt.rs[b].ID(), router.PeerOptions{Direction: router.Outbound})
			nt.drain(a)
			nt.rs[b].AddPeer(nt.now, nt.rs[a].ID(), router.PeerOptions{Direction: router.Inbound})
			nt.drain(b)
		}
	}
	nt.run()
}

// drain takes router i's output: sends are filtered, packed and queued,
// events kept. It returns the events of this output.
func (nt *siNet) drain(i int) []router.Event {
	out := nt.rs[i].Ready()
	for k := range out.Sends {
		s := out.Sends[k] // a shallow copy: filter may reslice fields
		if nt.filter != nil {
			nt.filter(i, &s.RPC)
		}
		nt.buf = rpc.Pack(nt.buf[:0], &s.RPC, 1400)
		for _, pl := range nt.buf {
			nt.queue = append(nt.queue, siEnvelope{from: i, to: nt.idx[s.To], payload: slices.Clone(pl)})
		}
	}
	nt.events[i] = append(nt.events[i], out.Events...)
	nt.dline[i] = out.Deadline
	return out.Events
}

// run delivers queued payloads until none are left.
func (nt *siNet) run() {
	for len(nt.queue) > 0 {
		e := nt.queue[0]
		nt.queue = nt.queue[1:]
		err := nt.rs[e.to].HandlePayload(nt.now, nt.rs[e.from].ID(), e.payload)
		if err != nil && !errors.Is(err, router.ErrGraylisted) {
			nt.t.Fatalf("router %d: payload from %d: %v", e.to, e.from, err)
		}
		nt.drain(e.to)
	}
}

// step advances time by d, ticks every router whose deadline has come
// and runs the network. It returns router watch's events from its tick.
func (nt *siNet) step(d time.Duration, watch int) []router.Event {
	nt.now = nt.now.Add(d)
	var evs []router.Event
	for i, r := range nt.rs {
		if !nt.dline[i].IsZero() && !nt.now.Before(nt.dline[i]) {
			r.Tick(nt.now)
			e := nt.drain(i)
			if i == watch {
				evs = slices.Clone(e)
			}
		}
	}
	nt.run()
	return evs
}

func (nt *siNet) joinAll(topic string) {
	for i, r := range nt.rs {
		if err := r.Join(nt.now, topic); err != nil {
			nt.t.Fatal(err)
		}
		nt.drain(i)
	}
	nt.run()
}

func (nt *siNet) publish(i int, topic string, seq uint64) {
	if _, err := nt.rs[i].Publish(nt.now, topic, siData(seq)); err != nil {
		nt.t.Fatal(err)
	}
	nt.drain(i)
	nt.run()
}
