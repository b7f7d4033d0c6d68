package peering

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
)

// zoned returns member(b) in zone.
func zoned(b byte, zone string) Target {
	t := member(b)
	t.Zone = zone
	return t
}

// zoneOf returns the zone of test peer b in the strategy tests: peers
// 1-19 are in "a" (the node's own), 20-39 in "b", 40-59 in "c", 60-79
// in "d".
func zoneOf(b byte) string { return string(rune('a' + b/20)) }

// zoneCount counts the peers of ids per zone, as "a3 b1 c1".
func zoneCount(ids []byte) string {
	n := map[string]int{}
	for _, b := range ids {
		n[zoneOf(b)]++
	}
	var s string
	for _, z := range []string{"a", "b", "c", "d"} {
		if n[z] > 0 {
			s += fmt.Sprintf(" %s%d", z, n[z])
		}
	}
	if s == "" {
		return ""
	}
	return s[1:]
}

// localRemote counts the peers of ids in zone "a" and in others, as
// "local3 remote1".
func localRemote(ids []byte) string {
	l := len(onlyZone(ids, "a"))
	return fmt.Sprintf("local%d remote%d", l, len(ids)-l)
}

// dialIDs returns the first byte of each dial's ID.
func dialIDs(o Output) []byte {
	var ids []byte
	for _, d := range o.Dials {
		ids = append(ids, d.Target.ID[0])
	}
	return ids
}

// Targets are the same by ID and address, whatever their zones.
func TestTargetSame(t *testing.T) {
	tests := []struct {
		a, b Target
		want bool
	}{
		{zoned(1, "a"), member(1), true},
		{zoned(1, "a"), zoned(1, "b"), true},
		{member(1), member(1), true},
		{member(1), member(2), false},
		{Target{ID: pid(1), Addr: "x:1"}, Target{ID: pid(1), Addr: "x:2"}, false},
		{Target{Addr: "x:1", Zone: "a"}, Target{Addr: "x:1"}, true},
	}
	for _, tt := range tests {
		if got := tt.a.Same(tt.b); got != tt.want || tt.b.Same(tt.a) != tt.want {
			t.Errorf("%v.Same(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// A DialFailed without a zone matches the dial that went out with one,
// also when the entry's zone changed while the dial was in flight.
func TestDialFailedIgnoresZone(t *testing.T) {
	tests := []struct {
		name   string
		target Target // dialled
		offer  *Target
		failed Target // reported
	}{
		{name: "member, zone-less report", target: zoned(1, "a"), failed: member(1)},
		{name: "member, other zone in report", target: zoned(1, "a"), failed: zoned(1, "z")},
		{name: "zone moved in flight", target: zoned(1, "a"), offer: ptr(zoned(1, "b")), failed: member(1)},
		{name: "bare seed", target: Target{Addr: "seed:1", Zone: "a"}, failed: Target{Addr: "seed:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testConfig(1))
			if tt.target.ID.IsZero() {
				e.m.AddSeed(tt.target)
			} else {
				e.m.Offer(e.now, tt.target, SourceMember)
			}
			o := e.tick(nil)
			if len(o.Dials) != 1 || o.Dials[0].Target != tt.target {
				t.Fatalf("dials %v, want %v with its zone", o.Dials, tt.target)
			}
			if tt.offer != nil {
				e.m.Offer(e.now, *tt.offer, SourceMember)
			}
			e.m.DialFailed(e.now, tt.failed)
			if st := e.m.Stats(); st.Dialing != 0 || st.DialsFailed != 1 {
				t.Fatalf("DialFailed(%v) did not end the dial of %v: %+v", tt.failed, tt.target, st)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The table keeps the latest zone offered; an empty zone never erases a
// known one; a second-hand record never changes a member's or a
// configured peer's known zone, but fills an unknown one.
func TestZoneUpdates(t *testing.T) {
	type op struct {
		t   Target
		src Source // SourceSeed and SourceDirect pin
	}
	tests := []struct {
		name string
		ops  []op
		want string
	}{
		{"member", []op{{zoned(1, "a"), SourceMember}}, "a"},
		{"member moves", []op{{zoned(1, "a"), SourceMember}, {zoned(1, "b"), SourceMember}}, "b"},
		{"empty keeps", []op{{zoned(1, "a"), SourceMember}, {member(1), SourceMember}}, "a"},
		{"exchange cannot move a member", []op{{zoned(1, "a"), SourceMember}, {zoned(1, "b"), SourceExchange}}, "a"},
		{"exchange fills a member's unknown zone", []op{{member(1), SourceMember}, {zoned(1, "b"), SourceExchange}}, "b"},
		{"exchange moves an exchange record", []op{{zoned(1, "a"), SourceExchange}, {zoned(1, "b"), SourceExchange}}, "b"},
		{"member moves an exchange record", []op{{zoned(1, "a"), SourceExchange}, {zoned(1, "b"), SourceMember}}, "b"},
		{"promotion keeps the zone", []op{{zoned(1, "a"), SourceExchange}, {member(1), SourceMember}}, "a"},
		{"seed", []op{{zoned(1, "a"), SourceSeed}}, "a"},
		{"seed again moves", []op{{zoned(1, "a"), SourceSeed}, {zoned(1, "b"), SourceSeed}}, "b"},
		{"member moves a seed", []op{{zoned(1, "a"), SourceSeed}, {zoned(1, "b"), SourceMember}}, "b"},
		{"exchange cannot move a seed", []op{{zoned(1, "a"), SourceSeed}, {zoned(1, "b"), SourceExchange}}, "a"},
		{"pinning keeps a learnt zone", []op{{zoned(1, "a"), SourceMember}, {member(1), SourceDirect}}, "a"},
		{"pinning with a zone moves it", []op{{zoned(1, "a"), SourceMember}, {zoned(1, "b"), SourceDirect}}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testConfig(1))
			for _, o := range tt.ops {
				if o.src == SourceMember {
					e.m.Member(e.now, o.t, true) // Member is Offer(SourceMember)
				} else {
					e.m.Offer(e.now, o.t, o.src)
				}
			}
			if tg, _, ok := e.m.Candidate(pid(1)); !ok || tg.Zone != tt.want {
				t.Fatalf("zone %q (in table %v), want %q", tg.Zone, ok, tt.want)
			}
		})
	}
}

// A bare-address seed keeps its zone when its session names it, merging
// a learnt entry's zone only when it has none; a seed configured both
// bare and by ID keeps a zone either gave. (A zone-less prev is a seed.)
func TestZoneNamedSeed(t *testing.T) {
	tests := []struct {
		name       string
		seed, prev Target
		want       string
	}{
		{"seed's own zone", Target{Addr: member(1).Addr, Zone: "a"}, zoned(1, "b"), "a"},
		{"learnt zone fills", Target{Addr: member(1).Addr}, zoned(1, "b"), "b"},
		// The same seed configured twice, bare (with a zone) and by ID
		// (without): the entry by ID takes the bare one's zone.
		{"configured twice", Target{Addr: member(1).Addr, Zone: "a"}, Target{ID: pid(1), Addr: member(1).Addr}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testConfig(1))
			if tt.prev.Zone == "" {
				e.m.AddSeed(tt.prev)
			} else {
				e.m.Offer(e.now, tt.prev, SourceMember)
			}
			e.m.AddSeed(tt.seed)
			e.m.Connected(e.now, pid(1), tt.seed.Addr, true)
			if tg, src, _ := e.m.Candidate(pid(1)); src != SourceSeed || tg.Zone != tt.want {
				t.Fatalf("%v %v, want a seed in %q", tg, src, tt.want)
			}
		})
	}
}

// Dials follow the strategy: PreferLocal dials its own zone but keeps
// Remote+1 cross-zone sessions, counting those it has (zones from the
// View, else from the table) and dials in flight; HubAndSpoke one per
// other zone, then local. Seeds and direct peers are dialled whatever the
// strategy.
func TestDialStrategy(t *testing.T) {
	tests := []struct {
		name     string
		prefs    mesh.Prefs
		low      int
		offer    []byte          // candidates, zoned by zoneOf (table zones)
		sessions []byte          // connected, inbound, with no table zone
		view     map[byte]string // the View's zones of sessions; nil: no View
		seeds    []Target
		direct   []Target
		want     string // localRemote of the picks (after direct and seeds), or zoneCount for HubAndSpoke
	}{
		{
			name:  "PreferLocal from scratch: Remote+1 remote, the rest local",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   8, offer: span(1, 79), want: "local5 remote3",
		},
		{
			name:  "PreferLocal, Remote 1",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 1},
			low:   6, offer: span(1, 79), want: "local4 remote2",
		},
		{
			name:  "PreferLocal joined through remote peers: only local dials",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   8, offer: span(1, 79),
			sessions: []byte{20, 40, 60}, view: map[byte]string{20: "b", 40: "c", 60: "d"},
			want: "local5 remote0",
		},
		{
			name:  "PreferLocal: zones the View lacks come from the table",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   8, offer: span(1, 79),
			sessions: []byte{1, 2, 20}, view: map[byte]string{1: "", 20: "b"},
			want: "local3 remote2",
		},
		{
			name:  "PreferLocal, nil View: zones from the table",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   6, offer: span(1, 79), sessions: []byte{1, 20},
			want: "local2 remote2",
		},
		{
			name:  "PreferLocal, few local candidates: remote fill up to Low",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   7, offer: append(span(1, 2), span(20, 79)...), want: "local2 remote5",
		},
		{
			name:  "PreferLocal: a remote seed and a direct peer count toward the quota",
			prefs: mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 2},
			low:   6, offer: span(1, 79),
			seeds: []Target{{Addr: "seed:1", Zone: "b"}}, direct: []Target{zoned(200, "c")},
			// direct and seed first, then 1 remote and 4 local.
			want: "local4 remote1",
		},
		{
			name:  "HubAndSpoke: one per other zone, then local",
			prefs: mesh.Prefs{Strategy: mesh.HubAndSpoke, Zone: "a"},
			low:   7, offer: span(1, 79), want: "a4 b1 c1 d1",
		},
		{
			name:  "HubAndSpoke: zones already covered are not dialled",
			prefs: mesh.Prefs{Strategy: mesh.HubAndSpoke, Zone: "a"},
			low:   7, offer: span(1, 79),
			sessions: []byte{20, 40}, view: map[byte]string{20: "b", 40: "c"},
			want: "a4 d1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(5)
			cfg.Low, cfg.High, cfg.MaxDialing, cfg.Prefs = tt.low, tt.low+10, 20, tt.prefs
			e := newEnv(t, cfg)
			for _, b := range tt.offer {
				if !slices.Contains(tt.sessions, b) {
					e.m.Offer(e.now, zoned(b, zoneOf(b)), SourceMember)
				} else if tt.view == nil || tt.view[b] == "" {
					e.m.Offer(e.now, zoned(b, zoneOf(b)), SourceMember) // the table knows it
				}
			}
			for _, s := range tt.seeds {
				e.m.AddSeed(s)
			}
			for _, d := range tt.direct {
				e.m.AddDirect(d)
			}
			for _, b := range tt.sessions {
				e.connect(member(b), false)
			}
			var v View
			if tt.view != nil {
				fv := &fakeView{placement: map[peerID]mesh.Placed{}}
				for b, z := range tt.view {
					fv.placement[pid(b)] = mesh.Placed{ID: pid(b), Zone: z}
				}
				v = fv
			}
			o := e.tick(v)
			if len(tt.seeds)+len(tt.direct) > 0 {
				// Direct first, then seeds, then the picks.
				if len(o.Dials) < 2 || o.Dials[0].Source != SourceDirect || o.Dials[1].Source != SourceSeed {
					t.Fatalf("dials %s: want the direct peer, then the seed", dialed(o))
				}
				o.Dials = o.Dials[2:]
			}
			got := localRemote(dialIDs(o))
			if tt.prefs.Strategy == mesh.HubAndSpoke {
				got = zoneCount(dialIDs(o))
			}
			if got != tt.want {
				t.Fatalf("dials %s: zones %q, want %q", dialed(o), got, tt.want)
			}
		})
	}
}

// span returns the bytes from a to b.
func span(a, b byte) []byte {
	var s []byte
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

// onlyZone returns the ids of zone z.
func onlyZone(ids []byte, z string) []byte {
	return slices.DeleteFunc(slices.Clone(ids), func(b byte) bool { return zoneOf(b) != z })
}

// Under Uniform, zones change nothing: the dials are those of a table
// without zones, for the same seed.
func TestDialUniformIgnoresZones(t *testing.T) {
	run := func(withZones bool) string {
		cfg := testConfig(11)
		cfg.Low, cfg.High = 8, 12
		cfg.Prefs = mesh.Prefs{Zone: "a"}
		e := newEnv(t, cfg)
		for b := byte(1); b < 80; b++ {
			tg := member(b)
			if withZones {
				tg.Zone = zoneOf(b)
			}
			e.m.Offer(e.now, tg, SourceMember)
		}
		e.connect(member(3), false)
		return fmt.Sprint(dialIDs(e.tick(nil)))
	}
	if a, b := run(true), run(false); a != b {
		t.Fatalf("Uniform dials %s with zones, %s without", a, b)
	}
}

// PreferFast knows no RTT before a session: its dials are random, so
// each zone gets about its share of the candidates.
func TestDialPreferFastRandom(t *testing.T) {
	local := 0
	const runs = 100
	for s := range uint64(runs) {
		cfg := testConfig(s)
		cfg.Low, cfg.High = 4, 8
		cfg.Prefs = mesh.Prefs{Strategy: mesh.PreferFast, Zone: "a", RandomShare: 0.25}
		e := newEnv(t, cfg)
		for b := byte(1); b < 80; b++ {
			e.m.Offer(e.now, zoned(b, zoneOf(b)), SourceMember)
		}
		o := e.tick(nil)
		if len(o.Dials) != 4 {
			t.Fatalf("seed %d: dials %s", s, dialed(o))
		}
		local += len(onlyZone(dialIDs(o), "a"))
	}
	// 19 of 79 candidates are local: about 24% of the 400 dials.
	if local < 60 || local > 130 {
		t.Fatalf("%d of %d dials local, want about %d", local, 4*runs, 4*runs*19/79)
	}
}

// Trims above High follow the strategy among the peers that the
// protected and stale rules leave to it: PreferLocal keeps Remote+1
// cross-zone sessions (direct peers and protected ones count), HubAndSpoke
// one per other zone, PreferFast the fastest; protected peers are kept
// and stale ones go first whatever the strategy.
func TestTrimStrategy(t *testing.T) {
	preferLocal := mesh.Prefs{Strategy: mesh.PreferLocal, Zone: "a", Remote: 1}
	tests := []struct {
		name      string
		prefs     mesh.Prefs
		high      int
		sessions  []byte // inbound, zones from the View (zoneOf)
		outbound  []byte
		protected []byte
		stale     []byte
		direct    []byte
		score     map[byte]float64
		rtt       map[byte]time.Duration
		noView    bool // zones from the table only
		want      string
		wantIDs   []byte // when the choice is fully determined
	}{
		{
			name: "Uniform: score order, zones ignored", prefs: mesh.Prefs{Zone: "a"}, high: 3,
			sessions: []byte{1, 2, 20, 40, 60},
			score:    map[byte]float64{1: -3, 2: -2, 20: 5, 40: 4, 60: 3},
			wantIDs:  []byte{1, 2},
		},
		{
			name: "PreferLocal keeps 2 remote and local", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 3, 4, 20, 40, 60},
			want:     "local2 remote1",
		},
		{
			name: "PreferLocal: not preferred before outbound and score", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 3, 20, 40, 60}, outbound: []byte{20, 40, 60},
			score: map[byte]float64{1: -5, 2: -5, 3: -5},
			want:  "local1 remote1",
		},
		{
			name: "PreferLocal, nil View: zones from the table", prefs: preferLocal, high: 3,
			sessions: []byte{1, 2, 20, 40, 60}, noView: true,
			want: "local1 remote1",
		},
		{
			name: "PreferLocal: protected remote peers kept, count toward the quota", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 3, 20, 40, 60}, protected: []byte{20, 40, 60},
			want: "local2 remote0",
		},
		{
			// The strategy decides knowing what the protected rule keeps:
			// the protected remote peers fill the quota, so the
			// unprotected remote ones go, not the local ones.
			name: "PreferLocal: protected remote peers fill the quota", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 3, 20, 40, 41, 60}, protected: []byte{20, 60},
			want: "local1 remote2",
		},
		{
			name: "PreferLocal: a stale remote peer goes though the quota wants it", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 3, 4, 20}, stale: []byte{20},
			wantIDs: []byte{20},
		},
		{
			name: "PreferLocal: direct remote peers fill the quota", prefs: preferLocal, high: 4,
			sessions: []byte{1, 2, 20, 21, 40, 60}, direct: []byte{40, 60},
			wantIDs: []byte{20, 21},
		},
		{
			name: "HubAndSpoke: one per other zone", prefs: mesh.Prefs{Strategy: mesh.HubAndSpoke, Zone: "a"}, high: 5,
			sessions: []byte{1, 2, 3, 20, 21, 40, 41},
			want:     "b1 c1",
		},
		{
			name: "PreferFast without random share: the slowest go", prefs: mesh.Prefs{Strategy: mesh.PreferFast, Zone: "a"}, high: 3,
			sessions: []byte{1, 2, 3, 4, 5},
			rtt:      map[byte]time.Duration{1: 50 * time.Millisecond, 2: 10 * time.Millisecond, 3: 40 * time.Millisecond, 4: 5 * time.Millisecond, 5: 0},
			score:    map[byte]float64{5: 9, 1: 8},
			wantIDs:  []byte{1, 5}, // slowest and unmeasured, trimmed in score order
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(3)
			cfg.Low, cfg.High, cfg.Prefs = 1, tt.high, tt.prefs
			e := newEnv(t, cfg)
			v := &fakeView{score: map[peerID]float64{}, protected: map[peerID]bool{}, stale: map[peerID]bool{}, placement: map[peerID]mesh.Placed{}}
			for _, b := range tt.sessions {
				if tt.noView {
					e.m.Offer(e.now, zoned(b, zoneOf(b)), SourceMember)
				} else {
					v.placement[pid(b)] = mesh.Placed{ID: pid(b), Zone: zoneOf(b), RTT: tt.rtt[b]}
				}
				if slices.Contains(tt.direct, b) {
					e.m.AddDirect(member(b))
				}
				e.connect(member(b), slices.Contains(tt.outbound, b))
				v.score[pid(b)] = tt.score[b]
				v.protected[pid(b)] = slices.Contains(tt.protected, b)
				v.stale[pid(b)] = slices.Contains(tt.stale, b)
			}
			var view View = v
			if tt.noView {
				view = nil
			}
			o := e.tick(view)
			var got []byte
			for _, d := range o.Disconnects {
				got = append(got, d.ID[0])
			}
			if len(got) != len(tt.sessions)-max(tt.high, len(tt.direct)) {
				t.Fatalf("trimmed %v: %d, want down to High %d", got, len(got), tt.high)
			}
			if tt.wantIDs != nil && !slices.Equal(got, tt.wantIDs) {
				t.Fatalf("trimmed %v, want %v", got, tt.wantIDs)
			}
			zones := localRemote(got)
			if tt.prefs.Strategy == mesh.HubAndSpoke {
				zones = zoneCount(got)
			}
			if tt.want != "" && zones != tt.want {
				t.Fatalf("trimmed %v: zones %q, want %q", got, zones, tt.want)
			}
		})
	}
}
