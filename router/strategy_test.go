package router

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// The router is in zone "a" in every test of this file; PreferFast's
// random share is zero, so that its picks are exact.

// spot is a scripted peer's place and standing: zone, RTT in ms (0: not
// measured), score (with the fakeScorer's thresholds: GossipThreshold
// -10, PublishThreshold -20), and what else it is.
type spot struct {
	zone    string
	rtt     int
	score   float64
	out     bool // outbound connection
	direct  bool
	backoff bool // it pruned us: in backoff
	graft   bool // it grafted us
}

// strategyEnv returns a router under strategy s with a fakeScorer and
// seed, changed by mod, joined to "t" with no peers yet.
func strategyEnv(t testing.TB, s Strategy, seed uint64, mod func(*Config)) *env {
	e := newEnv(t, func(c *Config) {
		withFakeScorer(c)
		c.Params.Strategy, c.Params.RandomMeshShare, c.Zone = s, 0, "a"
		c.Rand = rand.New(rand.NewPCG(seed, 7))
		if mod != nil {
			mod(c)
		}
	})
	e.join("t")
	return e
}

// place adds peers 1..len(spots) subscribed to "t" as spots say, in
// order: grafts and prunes come in as RPCs from them.
func (e *env) place(spots []spot) {
	for k, s := range spots {
		i := k + 1
		dir := Inbound
		if s.out {
			dir = Outbound
		}
		e.addPeersWith(i, i, PeerOptions{Direction: dir, Direct: s.direct, Zone: s.zone}, "t")
		if s.rtt > 0 {
			e.r.SetRTT(e.now, pid(i), time.Duration(s.rtt)*time.Millisecond)
		}
		e.sc.scores[pid(i)] = s.score
		if s.graft {
			e.rpcFrom(i, graftT)
		}
		if s.backoff {
			e.rpcFrom(i, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 600}}})
		}
	}
	e.ready()
}

// zonesOf counts the peers of l by zone in spots.
func zonesOf(spots []spot, l []int) map[string]int {
	m := map[string]int{}
	for _, i := range l {
		m[spots[i-1].zone]++
	}
	return m
}

// chosen is what a test expects of a set of chosen peers: exactly the
// peers of exact when not nil; for every zone of zones that many of them;
// each of them in one of from; none of never; n of them.
type chosen struct {
	exact []int
	zones map[string]int
	from  []int
	never []int
	n     int
}

func (c chosen) check(spots []spot, got []int) error {
	if len(got) != c.n {
		return fmt.Errorf("%d chosen %v, want %d", len(got), got, c.n)
	}
	if c.exact != nil && !slices.Equal(got, c.exact) {
		return fmt.Errorf("chose %v, want %v", got, c.exact)
	}
	for z, n := range c.zones {
		if g := zonesOf(spots, got)[z]; g != n {
			return fmt.Errorf("chose %v: %d in zone %q, want %d", got, g, z, n)
		}
	}
	for _, i := range got {
		if slices.Contains(c.never, i) {
			return fmt.Errorf("chose %v: %d is never eligible", got, i)
		}
		if c.from != nil && !slices.Contains(c.from, i) {
			return fmt.Errorf("chose %v: %d is not among %v", got, i, c.from)
		}
	}
	return nil
}

func span(lo, hi int) []int {
	var l []int
	for i := lo; i <= hi; i++ {
		l = append(l, i)
	}
	return l
}

// TestStrategyGraftsBelowDlo: an empty mesh grafts D=6 peers by the
// strategy; the local, fastest peers 1-3 are never grafted: 1 has a
// negative score, 2 is in backoff, 3 is direct.
func TestStrategyGraftsBelowDlo(t *testing.T) {
	spots := []spot{
		{zone: "a", rtt: 1, score: -1}, {zone: "a", rtt: 2, backoff: true}, {zone: "a", rtt: 3, direct: true},
		{zone: "a", rtt: 40}, {zone: "a", rtt: 45}, {zone: "a", rtt: 50}, {zone: "a", rtt: 55},
		{zone: "b", rtt: 10}, {zone: "b", rtt: 12}, {zone: "c", rtt: 15}, {zone: "c", rtt: 90},
		{zone: "d", rtt: 95}, {zone: "b", rtt: 100},
	}
	never := []int{1, 2, 3}
	tests := []struct {
		s    Strategy
		want chosen
	}{
		{Uniform, chosen{n: 6, never: never}},
		// Two remote peers, the rest local: all four eligible local ones.
		{PreferLocal, chosen{n: 6, never: never, zones: map[string]int{"a": 4}}},
		// One of each other zone, then local.
		{HubAndSpoke, chosen{n: 6, never: never, zones: map[string]int{"a": 3, "b": 1, "c": 1, "d": 1}}},
		// The six fastest eligible.
		{PreferFast, chosen{n: 6, exact: []int{4, 5, 6, 8, 9, 10}}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := strategyEnv(t, tc.s, seed, nil)
			e.place(spots)
			e.heartbeat()
			if err := tc.want.check(spots, e.meshOf("t")); err != nil {
				t.Fatalf("%v seed %d: %v", tc.s, seed, err)
			}
		}
	}
}

// TestStrategyKeepsWhenOversubscribed: a mesh of 10 above Dhi=8 is pruned
// to D=6: the Dscore=2 best by score are kept whatever their place, then
// the strategy fills the other places, and Dout outbound peers stay.
func TestStrategyKeepsWhenOversubscribed(t *testing.T) {
	params := func(dout int) func(*Config) {
		return func(c *Config) { c.Params.Dhi, c.Params.Dscore, c.Params.Dout = 8, 2, dout }
	}
	// Peers 1-2 score best; 3 is local and fast but negative; the last
	// two grafted beyond Dhi, so they are outbound.
	remoteBest := []spot{
		{zone: "b", rtt: 200, score: 10, graft: true}, {zone: "c", rtt: 200, score: 10, graft: true},
		{zone: "a", rtt: 1, graft: true},
		{zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true},
		{zone: "d", rtt: 5, graft: true}, {zone: "d", rtt: 6, graft: true, out: true}, {zone: "d", rtt: 7, graft: true, out: true},
	}
	localBest := slices.Clone(remoteBest)
	localBest[0].zone, localBest[1].zone = "a", "a"
	localBest[7].zone = "b"
	tests := []struct {
		name  string
		s     Strategy
		dout  int
		spots []spot
		neg   bool // peer 3 turns negative before the heartbeat
		want  chosen
	}{
		{"uniform", Uniform, 0, remoteBest, false, chosen{n: 6, from: append([]int{1, 2}, span(3, 10)...)}},
		// The two remote best count toward Remote=2: the rest is local.
		{"local: remote best count", PreferLocal, 0, remoteBest, false, chosen{n: 6, zones: map[string]int{"a": 4, "d": 0}}},
		// Local best: two remote peers are kept beside them.
		{"local: local best", PreferLocal, 0, localBest, false, chosen{n: 6, zones: map[string]int{"a": 4}}},
		// A negative local peer is pruned first, whatever the strategy.
		{"local: negative pruned", PreferLocal, 0, remoteBest, true, chosen{n: 6, exact: []int{1, 2, 4, 5, 6, 7}}},
		// b and c are covered by the best: one of d, then local.
		{"hub", HubAndSpoke, 0, remoteBest, false, chosen{n: 6, zones: map[string]int{"a": 3, "d": 1}}},
		// The best two though slowest, then the four fastest.
		{"fast", PreferFast, 0, remoteBest, false, chosen{n: 6, exact: []int{1, 2, 3, 8, 9, 10}}},
		{"fast: negative pruned", PreferFast, 0, remoteBest, true, chosen{n: 6, never: []int{3}, zones: map[string]int{"d": 3, "a": 1}}},
		// Dout=2 holds: the two outbound remote peers stay, beyond the
		// strategy's wish.
		{"local: Dout holds", PreferLocal, 2, remoteBest, false, chosen{n: 6, zones: map[string]int{"a": 2, "d": 2}}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := strategyEnv(t, tc.s, seed, params(tc.dout))
			e.place(tc.spots)
			if n := len(e.meshOf("t")); n != 10 {
				t.Fatalf("%s: mesh of %d before the heartbeat", tc.name, n)
			}
			if tc.neg {
				e.sc.scores[pid(3)] = -1
			}
			e.heartbeat()
			got := e.meshOf("t")
			if err := tc.want.check(tc.spots, got); err != nil {
				t.Fatalf("%s seed %d: %v", tc.name, seed, err)
			}
			if !slices.Contains(got, 1) || !slices.Contains(got, 2) {
				t.Fatalf("%s seed %d: mesh %v lost a Dscore best", tc.name, seed, got)
			}
			if tc.dout > 0 && countIn(got, 9, 10) != 2 {
				t.Fatalf("%s seed %d: mesh %v lost outbound peers", tc.name, seed, got)
			}
			for _, i := range span(1, 10) {
				if s := e.sendTo(i); slices.Contains(got, i) == (s != nil && len(s.Prune) == 1) {
					t.Fatalf("%s seed %d: peer %d kept and pruned, or neither", tc.name, seed, i)
				}
			}
		}
	}
}

// TestStrategyZoneQuotas: a mesh of six local peers (≥ Dlo, so no graft
// below Dlo) among remote topic peers. PreferLocal grafts one remote peer
// per heartbeat up to RemoteMeshPeers=2, HubAndSpoke one peer of each zone
// the mesh lacks; never a negative peer (8, zone b) nor one in backoff
// (12, zone e). Uniform and PreferFast have no quotas.
func TestStrategyZoneQuotas(t *testing.T) {
	spots := []spot{
		{zone: "a", graft: true}, {zone: "a", graft: true}, {zone: "a", graft: true},
		{zone: "a", graft: true}, {zone: "a", graft: true}, {zone: "a", graft: true},
		{zone: "b"}, {zone: "b", score: -1}, {zone: "c"}, {zone: "d"}, {zone: "c"}, {zone: "e", backoff: true},
	}
	local := span(1, 6)
	tests := []struct {
		s Strategy
		// after each of three heartbeats
		want [3]chosen
	}{
		{Uniform, [3]chosen{{n: 6, exact: local}, {n: 6, exact: local}, {n: 6, exact: local}}},
		{PreferFast, [3]chosen{{n: 6, exact: local}, {n: 6, exact: local}, {n: 6, exact: local}}},
		{PreferLocal, [3]chosen{
			{n: 7, never: []int{8, 12}, zones: map[string]int{"a": 6}},
			{n: 8, never: []int{8, 12}, zones: map[string]int{"a": 6}},
			{n: 8, never: []int{8, 12}, zones: map[string]int{"a": 6}},
		}},
		{HubAndSpoke, [3]chosen{
			{n: 9, never: []int{8, 12}, zones: map[string]int{"a": 6, "b": 1, "c": 1, "d": 1}},
			{n: 9, never: []int{8, 12}, zones: map[string]int{"a": 6, "b": 1, "c": 1, "d": 1}},
			{n: 9, never: []int{8, 12}, zones: map[string]int{"a": 6, "b": 1, "c": 1, "d": 1}},
		}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := strategyEnv(t, tc.s, seed, nil)
			e.place(spots)
			for hb, want := range tc.want {
				e.heartbeat()
				if err := want.check(spots, e.meshOf("t")); err != nil {
					t.Fatalf("%v seed %d heartbeat %d: %v", tc.s, seed, hb+1, err)
				}
			}
		}
	}
}

// TestPreferLocalQuotaRefills: a remote mesh peer that prunes us is
// replaced by another remote one at the next heartbeat (not by itself,
// in backoff); a mesh at Dhi still grafts one, and the prune to D in the
// same heartbeat keeps it.
func TestPreferLocalQuotaRefills(t *testing.T) {
	spots := []spot{
		{zone: "a", graft: true}, {zone: "a", graft: true}, {zone: "a", graft: true},
		{zone: "a", graft: true}, {zone: "b", graft: true}, {zone: "c", graft: true},
		{zone: "b"}, {zone: "d"},
	}
	e := strategyEnv(t, PreferLocal, 1, nil)
	e.place(spots)
	e.heartbeat()
	if got := e.meshOf("t"); !slices.Equal(got, span(1, 6)) {
		t.Fatalf("mesh %v: the quota is met, nothing to graft", got)
	}
	e.rpcFrom(5, &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 60}}})
	e.heartbeat()
	got := e.meshOf("t")
	if len(got) != 6 || slices.Contains(got, 5) || countIn(got, 7, 8) != 1 {
		t.Fatalf("mesh %v: want peer 5 replaced by 7 or 8", got)
	}

	// Twelve local peers fill the mesh to Dhi: the remote peer is grafted
	// all the same, and the prune to D keeps it.
	full := make([]spot, 12, 13)
	for i := range full {
		full[i] = spot{zone: "a", graft: true}
	}
	full = append(full, spot{zone: "b"})
	e = strategyEnv(t, PreferLocal, 1, nil)
	e.place(full)
	e.heartbeat()
	if got := e.meshOf("t"); len(got) != 6 || !slices.Contains(got, 13) {
		t.Fatalf("mesh %v: want D=6 peers, 13 among them", got)
	}
}

// TestStrategyOpportunisticGraft: the mesh's median score (0) is below
// the threshold (1): two of the better peers are grafted, by the
// strategy. Peer 11 is not above the median, 12 is in backoff.
func TestStrategyOpportunisticGraft(t *testing.T) {
	spots := []spot{
		{zone: "b", rtt: 100, graft: true}, {zone: "b", rtt: 100, graft: true},
		{zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true},
		{zone: "a", rtt: 30, score: 5}, {zone: "a", rtt: 31, score: 5},
		{zone: "b", rtt: 1, score: 5}, {zone: "b", rtt: 2, score: 5},
		{zone: "a", rtt: 1}, {zone: "a", rtt: 1, score: 5, backoff: true},
	}
	tests := []struct {
		s    Strategy
		want chosen
	}{
		{Uniform, chosen{n: 2, from: span(7, 10)}},
		{PreferLocal, chosen{n: 2, exact: []int{7, 8}}},
		{HubAndSpoke, chosen{n: 2, exact: []int{7, 8}}}, // b is covered
		{PreferFast, chosen{n: 2, exact: []int{9, 10}}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			// Dscore = D keeps the mesh: no PreferFast swap.
			e := strategyEnv(t, tc.s, seed, func(c *Config) { c.Params.OpportunisticGraftTicks, c.Params.Dscore = 1, 6 })
			e.place(spots)
			e.heartbeat()
			var added []int
			for _, i := range e.meshOf("t") {
				if i > 6 {
					added = append(added, i)
				}
			}
			if err := tc.want.check(spots, added); err != nil {
				t.Fatalf("%v seed %d: %v", tc.s, seed, err)
			}
		}
	}
}

// ihaveTargets returns the peers of the last output that got an IHAVE.
func (e *env) ihaveTargets() []int {
	var l []int
	for _, s := range e.out.Sends {
		if len(s.RPC.IHave) > 0 {
			l = append(l, e.indices([]peer.ID{s.To})...)
		}
	}
	slices.Sort(l)
	return l
}

// TestStrategyGossipTargets: three of the ten eligible non-mesh peers get
// IHAVE (Dlazy=3, GossipFactor 0.25), chosen by the strategy given the
// mesh (1 in b, 2 in c, 3-6 local). Peer 14 is local and fastest but
// below GossipThreshold; 13 (zone d) is in backoff, which does not keep
// it from gossip.
func TestStrategyGossipTargets(t *testing.T) {
	spots := []spot{
		{zone: "b", rtt: 90, graft: true}, {zone: "c", rtt: 90, graft: true},
		{zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true}, {zone: "a", rtt: 50, graft: true},
		{zone: "a", rtt: 40}, {zone: "a", rtt: 41}, {zone: "a", rtt: 42},
		{zone: "b", rtt: 5}, {zone: "b", rtt: 6}, {zone: "b", rtt: 7},
		{zone: "d", rtt: 100, backoff: true}, {zone: "a", rtt: 1, score: -15},
		{zone: "c", rtt: 200}, {zone: "c", rtt: 200}, {zone: "c", rtt: 200},
	}
	tests := []struct {
		s    Strategy
		want chosen
	}{
		{Uniform, chosen{n: 3, never: append(span(1, 6), 14)}},
		{PreferLocal, chosen{n: 3, exact: []int{7, 8, 9}}},
		{HubAndSpoke, chosen{n: 3, never: append(span(1, 6), 14), zones: map[string]int{"d": 1, "a": 2}}},
		{PreferFast, chosen{n: 3, exact: []int{10, 11, 12}}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			// Dscore = D keeps the mesh: no PreferFast swap.
			e := strategyEnv(t, tc.s, seed, func(c *Config) { c.Params.Dlazy, c.Params.Dscore = 3, 6 })
			e.place(spots)
			e.rpcFrom(1, pub(msg("t", 1, 8)))
			e.heartbeat()
			if got := e.meshOf("t"); !slices.Equal(got, span(1, 6)) {
				t.Fatalf("%v: mesh %v changed", tc.s, got)
			}
			if err := tc.want.check(spots, e.ihaveTargets()); err != nil {
				t.Fatalf("%v seed %d: %v", tc.s, seed, err)
			}
		}
	}
}

// TestStrategyFanout: an unjoined publisher's fan-out (D=6) is chosen by
// the strategy; peer 12, local and fastest, is below PublishThreshold.
// Under PreferLocal, a remote fan-out peer that leaves is replaced by a
// remote one (have = the fan-out's others).
func TestStrategyFanout(t *testing.T) {
	spots := []spot{
		{zone: "a", rtt: 51}, {zone: "a", rtt: 52}, {zone: "a", rtt: 53}, {zone: "a", rtt: 54}, {zone: "a", rtt: 55}, {zone: "a", rtt: 56},
		{zone: "b", rtt: 5}, {zone: "b", rtt: 6}, {zone: "b", rtt: 7}, {zone: "c", rtt: 8}, {zone: "d", rtt: 9},
		{zone: "a", rtt: 1, score: -25},
	}
	tests := []struct {
		s    Strategy
		want chosen
	}{
		{Uniform, chosen{n: 6, never: []int{12}}},
		{PreferLocal, chosen{n: 6, never: []int{12}, zones: map[string]int{"a": 4}}},
		{HubAndSpoke, chosen{n: 6, never: []int{12}, zones: map[string]int{"a": 3, "b": 1, "c": 1, "d": 1}}},
		{PreferFast, chosen{n: 6, exact: []int{1, 7, 8, 9, 10, 11}}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := newEnv(t, func(c *Config) {
				withFakeScorer(c)
				c.Params.Strategy, c.Params.RandomMeshShare, c.Zone = tc.s, 0, "a"
				c.Params.FloodPublish = false
				c.Rand = rand.New(rand.NewPCG(seed, 7))
			})
			e.place(spots)
			if _, err := e.publish("t", msg("t", 1, 8).Data); err != nil {
				t.Fatal(err)
			}
			fan := e.indices(e.r.Fanout("t"))
			if err := tc.want.check(spots, fan); err != nil {
				t.Fatalf("%v seed %d: %v", tc.s, seed, err)
			}
			if tc.s != PreferLocal {
				continue
			}
			for _, i := range fan {
				if spots[i-1].zone != "a" {
					e.r.RemovePeer(e.now, pid(i))
					break
				}
			}
			e.heartbeat()
			if err := tc.want.check(spots, e.indices(e.r.Fanout("t"))); err != nil {
				t.Fatalf("top-up, seed %d: %v", seed, err)
			}
		}
	}
}

// sendOrder returns the peers of the last output's Sends, in order.
func (e *env) sendOrder() []int {
	var l []int
	for _, s := range e.out.Sends {
		l = append(l, e.indices([]peer.ID{s.To})...)
	}
	return l
}

// TestStrategySendOrder: a publisher's copies (flood publish, or mesh and
// direct peers) and a forwarder's mesh copies go out in the strategy's
// order; it follows zone and RTT changes.
func TestStrategySendOrder(t *testing.T) {
	spots := []spot{
		{zone: "b", rtt: 40}, {zone: "a", rtt: 9}, {zone: "c", rtt: 90}, {zone: "a"},
		{zone: "b", rtt: 30}, {zone: "a", rtt: 2}, {zone: "c"}, {zone: "b", rtt: 30},
		{zone: "a", rtt: 1, score: -25}, // below PublishThreshold
	}
	tests := []struct {
		s Strategy
		// flood: every topic peer but 9; then after peer 7's RTT drops to
		// 1 ms and peer 3 moves to zone a.
		flood, moved []int
	}{
		{Uniform, []int{1, 2, 3, 4, 5, 6, 7, 8}, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		// Local by RTT (unmeasured last), then remote by RTT, ties by ID.
		{PreferLocal, []int{6, 2, 4, 5, 8, 1, 3, 7}, []int{6, 2, 3, 4, 7, 5, 8, 1}},
		// The fastest peer of each other zone, local, the other remote.
		{HubAndSpoke, []int{5, 3, 6, 2, 4, 8, 1, 7}, []int{7, 5, 6, 2, 3, 4, 8, 1}},
		{PreferFast, []int{6, 2, 5, 8, 1, 3, 4, 7}, []int{7, 6, 2, 5, 8, 1, 3, 4}},
	}
	for _, tc := range tests {
		e := strategyEnv(t, tc.s, 1, nil)
		e.place(spots)
		e.publish("t", msg("t", 1, 8).Data)
		if got := e.sendOrder(); !slices.Equal(got, tc.flood) {
			t.Fatalf("%v: flood copies to %v, want %v", tc.s, got, tc.flood)
		}
		e.r.SetRTT(e.now, pid(7), time.Millisecond)
		e.r.SetPeerZone(e.now, pid(3), "a")
		e.ready()
		e.publish("t", msg("t", 2, 8).Data)
		if got := e.sendOrder(); !slices.Equal(got, tc.moved) {
			t.Fatalf("%v: after the moves, flood copies to %v, want %v", tc.s, got, tc.moved)
		}
	}
}

// TestStrategyMeshSendOrder: without flood publishing, own copies go to the
// mesh and the direct peer (9) in one order; forwarded copies go to the
// mesh in that order, the direct peer after.
func TestStrategyMeshSendOrder(t *testing.T) {
	spots := []spot{
		{zone: "b", rtt: 40, graft: true}, {zone: "a", rtt: 9, graft: true}, {zone: "c", rtt: 90, graft: true}, {zone: "a", graft: true},
		{zone: "b", rtt: 30, graft: true}, {zone: "a", rtt: 2, graft: true}, {zone: "c", graft: true}, {zone: "b", rtt: 30, graft: true},
		{zone: "a", rtt: 1, direct: true},
	}
	tests := []struct {
		s        Strategy
		pub, fwd []int
	}{
		{Uniform, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{2, 3, 4, 5, 6, 7, 8, 9}},
		{PreferLocal, []int{9, 6, 2, 4, 5, 8, 1, 3, 7}, []int{6, 2, 4, 5, 8, 3, 7, 9}},
		{HubAndSpoke, []int{5, 3, 9, 6, 2, 4, 8, 1, 7}, []int{5, 3, 6, 2, 4, 8, 7, 9}},
		{PreferFast, []int{9, 6, 2, 5, 8, 1, 3, 4, 7}, []int{6, 2, 5, 8, 3, 4, 7, 9}},
	}
	for _, tc := range tests {
		e := strategyEnv(t, tc.s, 1, func(c *Config) { c.Params.FloodPublish = false })
		e.place(spots)
		if got := e.meshOf("t"); !slices.Equal(got, span(1, 8)) {
			t.Fatalf("%v: mesh %v", tc.s, got)
		}
		e.publish("t", msg("t", 1, 8).Data)
		if got := e.sendOrder(); !slices.Equal(got, tc.pub) {
			t.Fatalf("%v: own copies to %v, want %v", tc.s, got, tc.pub)
		}
		e.rpcFrom(1, pub(msg("t", 2, 8)))
		if got := e.sendOrder(); !slices.Equal(got, tc.fwd) {
			t.Fatalf("%v: forwarded copies to %v, want %v", tc.s, got, tc.fwd)
		}
	}
}

// TestSendOrderRebuilds: the send orders are rebuilt after a zone change
// or an RTT move of more than an eighth, not for smaller RTT moves, and
// never under Uniform.
func TestSendOrderRebuilds(t *testing.T) {
	for _, s := range []Strategy{Uniform, PreferFast} {
		e := strategyEnv(t, s, 1, nil)
		e.place([]spot{{zone: "a", rtt: 80}, {zone: "b", rtt: 10}})
		steps := []struct {
			do    func()
			moved bool
		}{
			{func() { e.r.SetRTT(e.now, pid(1), 89*time.Millisecond) }, false}, // +1/8 at most
			{func() { e.r.SetRTT(e.now, pid(1), 71*time.Millisecond) }, false},
			{func() { e.r.SetRTT(e.now, pid(1), 91*time.Millisecond) }, true},
			{func() { e.r.SetRTT(e.now, pid(1), 91*time.Millisecond) }, false},
			{func() { e.r.SetPeerZone(e.now, pid(1), "a") }, false},
			{func() { e.r.SetPeerZone(e.now, pid(1), "c") }, true},
			{func() { e.r.SetRTT(e.now, pid(3), time.Millisecond) }, false}, // unknown peer
		}
		for k, st := range steps {
			before := e.r.placeEpoch
			st.do()
			if moved := e.r.placeEpoch != before; moved != (st.moved && s != Uniform) {
				t.Fatalf("%v step %d: orders made stale: %v", s, k, moved)
			}
		}
	}
}

// TestZoneStrategySwaps: a mesh that formed across zones (every peer
// grafted us) swaps one excess cross-zone peer per heartbeat for a
// graftable local one until PreferLocal's quota + 1 (RemoteMeshPeers is
// 2) or HubAndSpoke's two per zone is reached. The best-scoring remote
// peers (Dscore = 4) and the outbound one needed for Dout (2) never leave;
// a negative or backed-off local peer is never grafted. Uniform and
// PreferFast swap nothing.
func TestZoneStrategySwaps(t *testing.T) {
	spots := []spot{
		// Remote mesh peers: 1-4 score best, 5 is outbound, 6-8 may go.
		{zone: "b", graft: true, score: 5}, {zone: "b", graft: true, score: 5},
		{zone: "b", graft: true, score: 5}, {zone: "c", graft: true, score: 5},
		{zone: "b", graft: true, out: true}, {zone: "b", graft: true}, {zone: "c", graft: true},
		{zone: "b", graft: true},
		// Local candidates; 11 is negative, 12 in backoff, 13 has not
		// earned a positive score yet.
		{zone: "a", score: 1}, {zone: "a", score: 1}, {zone: "a", score: -1}, {zone: "a", score: 1, backoff: true},
		{zone: "a"},
	}
	stays := span(1, 5)
	tests := []struct {
		s Strategy
		// swaps wanted after 1, 2 and 3 heartbeats (local peers in the mesh)
		local [3]int
	}{
		{Uniform, [3]int{0, 0, 0}},
		{PreferFast, [3]int{0, 0, 0}},
		// 8 remote > quota 2 + 1: swap until 3 remote remain or nothing is
		// movable or no local candidate is left (9 and 10 only).
		{PreferLocal, [3]int{1, 2, 2}},
		// Zone b has 6: swap its movable ones (6, 8) until two local
		// candidates are used.
		{HubAndSpoke, [3]int{1, 2, 2}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := strategyEnv(t, tc.s, seed, func(c *Config) { c.Params.Dout = 1 })
			e.place(spots)
			for hb, want := range tc.local {
				e.heartbeat()
				got := e.meshOf("t")
				if n := countIn(got, 9, 10); n != want {
					t.Fatalf("%v seed %d heartbeat %d: mesh %v has %d local peers, want %d", tc.s, seed, hb+1, got, n, want)
				}
				if len(got) != 8 {
					t.Fatalf("%v seed %d heartbeat %d: mesh %v, want its size kept at 8", tc.s, seed, hb+1, got)
				}
				for _, i := range stays {
					if !slices.Contains(got, i) {
						t.Fatalf("%v seed %d heartbeat %d: mesh %v lost %d (best score or needed outbound)", tc.s, seed, hb+1, got, i)
					}
				}
				if slices.Contains(got, 11) || slices.Contains(got, 12) || slices.Contains(got, 13) {
					t.Fatalf("%v seed %d: mesh %v took an ineligible local peer", tc.s, seed, got)
				}
			}
			if got, want := e.r.Stats().StrategySwaps, uint64(tc.local[2]); got != want {
				t.Fatalf("%v seed %d: StrategySwaps %d, want %d", tc.s, seed, got, want)
			}
		}
	}
}

// TestPreferFastSwaps: the slowest mesh peer outside the Dscore best (1-4)
// is swapped for the fastest graftable peer when that one's RTT is under
// ¾ of its own, one per heartbeat: 6 for 8, then 5 for 9; then 7 (100 ms)
// stays, as 10 (160 ms) is not faster. 11 (negative), 12 (backoff) and
// 13 (not yet a positive score: a fast newcomer), the fastest, are never
// grafted. With the whole mesh in the random share nothing is swapped.
func TestPreferFastSwaps(t *testing.T) {
	spots := []spot{
		{rtt: 300, score: 5, graft: true}, {rtt: 300, score: 5, graft: true}, {rtt: 300, score: 5, graft: true}, {rtt: 300, score: 5, graft: true},
		{rtt: 200, graft: true}, {rtt: 250, graft: true}, {rtt: 100, graft: true},
		{rtt: 10, score: 1}, {rtt: 20, score: 1}, {rtt: 160, score: 1}, {rtt: 5, score: -1}, {rtt: 1, score: 1, backoff: true},
		{rtt: 2},
	}
	for _, zone := range []string{"a", "b"} { // zones do not matter to PreferFast
		for i := range spots {
			spots[i].zone = zone
		}
		for seed := range uint64(4) {
			e := strategyEnv(t, PreferFast, seed, nil)
			e.place(spots)
			for hb, want := range [][]int{{1, 2, 3, 4, 5, 7, 8}, {1, 2, 3, 4, 7, 8, 9}, {1, 2, 3, 4, 7, 8, 9}} {
				e.heartbeat()
				if got := e.meshOf("t"); !slices.Equal(got, want) {
					t.Fatalf("seed %d heartbeat %d: mesh %v, want %v", seed, hb+1, got, want)
				}
			}
			if n := e.r.Stats().StrategySwaps; n != 2 {
				t.Fatalf("seed %d: StrategySwaps %d, want 2", seed, n)
			}

			e = strategyEnv(t, PreferFast, seed, func(c *Config) { c.Params.RandomMeshShare = 1 })
			e.place(spots)
			e.heartbeats(3)
			if got := e.meshOf("t"); !slices.Equal(got, span(1, 7)) {
				t.Fatalf("seed %d: mesh %v changed with the whole mesh in the random share", seed, got)
			}
		}
	}
}

// TestStrategyProvenFirst: a strategy orders within a score class. Peers
// that earned a positive score are grafted before fresh ones that are
// merely local or fast (attackers may place themselves so); the fresh
// ones fill what is left, in the strategy's order. Uniform is unchanged.
func TestStrategyProvenFirst(t *testing.T) {
	fresh := []spot{{zone: "a", rtt: 1}, {zone: "a", rtt: 2}, {zone: "a", rtt: 3}}
	slow := func(n int) []spot {
		s := make([]spot, n)
		for i := range s {
			s[i] = spot{zone: "b", rtt: 200, score: 1}
		}
		return s
	}
	tests := []struct {
		name  string
		s     Strategy
		spots []spot
		want  chosen
	}{
		{"fast: six proven", PreferFast, append(slices.Clone(fresh), slow(6)...), chosen{n: 6, exact: span(4, 9)}},
		{"fast: four proven, two fastest fresh", PreferFast, append(slices.Clone(fresh), slow(4)...), chosen{n: 6, exact: []int{1, 2, 4, 5, 6, 7}}},
		{"local: six proven remote", PreferLocal, append(slices.Clone(fresh), slow(6)...), chosen{n: 6, exact: span(4, 9)}},
		{"uniform: at random", Uniform, append(slices.Clone(fresh), slow(6)...), chosen{n: 6, from: span(1, 9)}},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			e := strategyEnv(t, tc.s, seed, nil)
			e.place(tc.spots)
			e.heartbeat()
			if err := tc.want.check(tc.spots, e.meshOf("t")); err != nil {
				t.Fatalf("%s seed %d: %v", tc.name, seed, err)
			}
		}
	}
}
