package router

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// This file holds what env (one router, scripted peers) and testNet
// (routers wired in memory) share: peer ids, configs, messages, scorers.

var t0 = time.Unix(1_700_000_000, 0).UTC()

// pid returns the deterministic peer ID of index i: in an env, scripted
// peer i (the router is 0); in a testNet, router i.
func pid(i int) peer.ID {
	var id peer.ID
	binary.BigEndian.PutUint64(id[:], uint64(i)+1)
	sum := sha256.Sum256(id[:8])
	copy(id[8:], sum[:24])
	return id
}

// cheapID is a message id function for StrictNoSign tests: the data's
// first 8 bytes.
func cheapID(dst []byte, m *rpc.Message) []byte {
	if len(m.Data) < 8 {
		return append(dst, m.Data...)
	}
	return append(dst, m.Data[:8]...)
}

// noSignConfig is the config of router i: StrictNoSign with cheapID,
// default params, a Rand seeded from seed and i.
func noSignConfig(i int, seed uint64) Config {
	return Config{
		ID:              pid(i),
		Params:          DefaultParams(),
		SignaturePolicy: StrictNoSign,
		AppendMessageID: cheapID,
		Rand:            rand.New(rand.NewPCG(seed, uint64(i))),
	}
}

// msg returns a StrictNoSign message whose 8-byte id is seq.
func msg(topic string, seq uint64, size int) rpc.Message {
	d := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(d, seq)
	return rpc.Message{Topic: topic, Data: d}
}

// msgID is the id of msg(_, seq, _).
func msgID(seq uint64) string { return string(msg("", seq, 8).Data) }

func pub(ms ...rpc.Message) *rpc.RPC { return &rpc.RPC{Publish: ms} }

func ihave(topic string, ids ...string) rpc.IHave { return rpc.IHave{Topic: topic, IDs: ids} }

// hasEvent reports whether evs holds an event of kind k about p.
func hasEvent(evs []Event, k EventKind, p peer.ID) bool {
	return slices.ContainsFunc(evs, func(e Event) bool { return e.Kind == k && e.Peer == p })
}

// withFakeScorer installs a fakeScorer with permissive thresholds.
func withFakeScorer(c *Config) {
	c.Scorer = newFakeScorer()
	c.Thresholds = score.Thresholds{
		GossipThreshold: -10, PublishThreshold: -20, GraylistThreshold: -30,
		AcceptPXThreshold: 5, OpportunisticGraftThreshold: 1,
	}
}

// withScorer returns a config change installing a real score.Scorer built
// from sp, with thresholds th.
func withScorer(t testing.TB, sp score.Params, th score.Thresholds) func(*Config) {
	return func(c *Config) {
		sc, err := score.New(sp)
		if err != nil {
			t.Fatal(err)
		}
		c.Scorer, c.Thresholds = sc, th
	}
}

// realScorer returns r's score.Scorer (nil when it has another).
func realScorer(r *Router) *score.Scorer {
	sc, _ := r.scorer.(*score.Scorer)
	return sc
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

// fakeScorer is an in-memory Scorer: scores are set by the test, calls
// are recorded.
type fakeScorer struct {
	scores    map[peer.ID]float64
	penalties map[peer.ID]int
	rejects   []string // reasons, in order
	delivered int
	dups      int
	refreshes int
}

var _ Scorer = (*fakeScorer)(nil)

// The score package's Scorer is the router's Scorer.
var _ Scorer = (*score.Scorer)(nil)

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
