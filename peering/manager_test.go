package peering

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
)

// Seeds: dialled at the first Tick whatever the water marks, retried with
// a growing backoff until they answer, then ordinary candidates.
func TestSeedDialledUntilAnswered(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.High = 1, 1
	e := newEnv(t, cfg)
	seed := Target{Addr: "seed.example:7946"}
	e.m.AddSeed(seed)
	e.m.AddSeed(seed) // again: no duplicate
	if got := dialed(e.tick(nil)); got != "seed.example:7946" {
		t.Fatalf("first round dials %q, want the seed", got)
	}
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("seed in flight dialled again: %q", got)
	}
	e.m.DialFailed(e.now, seed)
	e.advance(500 * time.Millisecond)
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("seed dialled while backing off: %q", got)
	}
	e.advance(time.Second) // ≥ 1.2 × DialBackoff after the failure
	if got := dialed(e.tick(nil)); got != "seed.example:7946" {
		t.Fatalf("seed not retried after its backoff: %q", got)
	}
	// It answers: its ID is learnt from the session, which the caller
	// reports with the dialled address.
	if !e.m.Connected(e.now, pid(9), seed.Addr, true) {
		t.Fatal("seed refused")
	}
	if tg, src, ok := e.m.Candidate(pid(9)); !ok || src != SourceSeed || tg.Addr != seed.Addr {
		t.Fatalf("seed not named: %v %v %v", tg, src, ok)
	}
	if !e.m.Outbound(pid(9)) || e.m.NumDialing() != 0 {
		t.Fatalf("outbound %v, dialing %d", e.m.Outbound(pid(9)), e.m.NumDialing())
	}
	// After a stable session ends, the seed is an ordinary candidate:
	// dialled again only toward Low, here to fill the one slot.
	e.advance(time.Minute)
	e.m.Disconnected(e.now, pid(9))
	e.m.Offer(e.now, member(1), SourceMember)
	e.m.Connected(e.now, pid(1), member(1).Addr, false) // Low met
	e.advance(2 * time.Second)
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("answered seed dialled with Low met: %q", got)
	}
}

// Direct peers are redialled whenever down, beyond Low, are not trimmed,
// and cannot be banned.
func TestDirect(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.High = 1, 1
	e := newEnv(t, cfg)
	d := member(7)
	e.m.AddDirect(d)
	e.m.Offer(e.now, member(1), SourceMember)
	e.connect(member(1), true) // Low met
	if got := dialed(e.tick(nil)); got != "07/direct" {
		t.Fatalf("dials %q, want the direct peer", got)
	}
	e.connect(d, true)
	e.m.Ban(e.now, d.ID, "graylisted")
	if e.m.Banned(e.now, d.ID) || len(e.drain().Disconnects) != 0 {
		t.Fatal("direct peer banned")
	}
	// Two connected, High 1: the direct peer stays, the other goes.
	o := e.tick(nil)
	if len(o.Disconnects) != 1 || o.Disconnects[0].ID != pid(1) || o.Disconnects[0].Reason != "trim" {
		t.Fatalf("disconnects %v, want peer 1 trimmed", o.Disconnects)
	}
	// Down after a stable session: redialled after DialBackoff, with
	// the deadline brought forward to it.
	e.advance(time.Minute)
	e.m.Disconnected(e.now, d.ID)
	e.m.Disconnected(e.now, pid(1))
	e.m.Tick(e.now, nil)
	if got := dialed(e.drain()); got != "" {
		t.Fatalf("direct redialled without backoff: %q", got)
	}
	e.advance(time.Second)
	// Direct first; the trimmed peer's ban has run out, and nobody is
	// connected, so it is dialled toward Low too.
	if got := dialed(e.tick(nil)); got != "07/direct 01/member" {
		t.Fatalf("direct not redialled after DialBackoff: %q", got)
	}
	if !e.m.IsDirect(d.ID) {
		t.Fatal("IsDirect false")
	}
}

// Toward Low, candidates come from the whole table, at random, bounded
// by MaxDialing; connected, dialing and banned candidates are skipped.
func TestDialTowardLow(t *testing.T) {
	tests := []struct {
		name                   string
		low, maxDialing, offer int
		connected, banned      []byte
		want                   int
	}{
		{name: "Low from many", low: 5, offer: 20, want: 5},
		{name: "fewer candidates than Low", low: 5, offer: 3, want: 3},
		{name: "connected count", low: 5, offer: 20, connected: []byte{1, 2}, want: 3},
		{name: "banned skipped", low: 5, offer: 6, banned: []byte{1, 2, 3}, want: 3},
		{name: "MaxDialing bounds", low: 30, maxDialing: 4, offer: 50, want: 4},
		{name: "Low met", low: 2, offer: 10, connected: []byte{1, 2}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(3)
			cfg.Low, cfg.High, cfg.MaxDialing = tt.low, tt.low+10, tt.maxDialing
			e := newEnv(t, cfg)
			for i := 1; i <= tt.offer; i++ {
				e.m.Offer(e.now, member(byte(i)), SourceMember)
			}
			for _, b := range tt.connected {
				e.connect(member(b), true)
			}
			for _, b := range tt.banned {
				e.m.Ban(e.now, pid(b), "test")
			}
			o := e.tick(nil)
			if len(o.Dials) != tt.want {
				t.Fatalf("%d dials (%s), want %d", len(o.Dials), dialed(o), tt.want)
			}
			for _, d := range o.Dials {
				if slices.Contains(tt.connected, d.Target.ID[0]) || slices.Contains(tt.banned, d.Target.ID[0]) {
					t.Fatalf("dialled %v", d.Target)
				}
			}
			if got := dialed(e.tick(nil)); got != "" {
				t.Fatalf("dials in flight count toward Low, yet: %q", got)
			}
		})
	}
}

// An answered seed is not preferred: across seeds of the Rand, the picks
// spread over the whole table.
func TestDialNotSeedFirst(t *testing.T) {
	picked := 0
	const runs = 200
	for s := range uint64(runs) {
		cfg := testConfig(s)
		cfg.Low = 2
		e := newEnv(t, cfg)
		e.m.AddSeed(member(1))
		e.connect(member(1), true)
		e.advance(time.Minute)
		e.m.Disconnected(e.now, pid(1))
		for i := 2; i <= 10; i++ {
			e.m.Offer(e.now, member(byte(i)), SourceMember)
		}
		e.advance(2 * time.Second)
		o := e.tick(nil)
		if len(o.Dials) != 2 {
			t.Fatalf("seed %d: dials %s", s, dialed(o))
		}
		for _, d := range o.Dials {
			if d.Target.ID == pid(1) {
				picked++
			}
		}
	}
	// 2 picks of 10: the seed is in about 20% of the runs.
	if picked < runs/10 || picked > runs*3/10 {
		t.Fatalf("seed picked in %d of %d runs, want about %d", picked, runs, runs/5)
	}
}

// A dial with no answer frees its slot after DialTimeout and counts as
// failed; a late DialFailed is ignored.
func TestDialTimeout(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.MaxDialing = 1, 1
	e := newEnv(t, cfg)
	e.m.Offer(e.now, member(1), SourceMember)
	if got := dialed(e.tick(nil)); got != "01/member" {
		t.Fatalf("dials %q", got)
	}
	for range 29 {
		e.advance(time.Second)
		if o := e.tick(nil); len(o.Dials) != 0 {
			t.Fatalf("redialled in flight at %v", e.now.Sub(t0))
		}
	}
	e.advance(time.Second)
	e.m.Tick(e.now, nil)
	st := e.m.Stats()
	if st.DialTimeouts != 1 || st.DialsFailed != 1 || st.Dialing != 0 {
		t.Fatalf("stats after timeout %+v", st)
	}
	e.m.DialFailed(e.now, member(1))
	if st := e.m.Stats(); st.DialsFailed != 1 {
		t.Fatalf("late DialFailed counted: %+v", st)
	}
}

// A session shorter than StableSession counts as a failed dial: the
// backoff grows; a stable one resets it.
func TestSessionStability(t *testing.T) {
	tests := []struct {
		name     string
		sessions []time.Duration // lengths of successive sessions
		wantWait time.Duration   // max wait before the redial
		minWait  time.Duration
	}{
		{name: "stable", sessions: []time.Duration{time.Minute}, minWait: 999 * time.Millisecond, wantWait: time.Second},
		{name: "one short", sessions: []time.Duration{time.Second}, minWait: 800 * time.Millisecond, wantWait: 1200 * time.Millisecond},
		{name: "three short", sessions: []time.Duration{time.Second, time.Second, time.Second}, minWait: 3200 * time.Millisecond, wantWait: 4800 * time.Millisecond},
		{name: "short, short, stable", sessions: []time.Duration{time.Second, time.Second, time.Minute}, minWait: 999 * time.Millisecond, wantWait: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(5)
			cfg.Low = 1
			e := newEnv(t, cfg)
			e.m.Offer(e.now, member(1), SourceMember)
			for _, d := range tt.sessions {
				e.advance(time.Hour)
				e.connect(member(1), true)
				e.advance(d)
				e.m.Disconnected(e.now, pid(1))
			}
			start := e.now
			for e.now.Sub(start) <= 10*time.Second {
				if o := e.tick(nil); len(o.Dials) > 0 {
					wait := e.now.Sub(start)
					if wait < tt.minWait || wait > tt.wantWait {
						t.Fatalf("redialled after %v, want in [%v, %v]", wait, tt.minWait, tt.wantWait)
					}
					return
				}
				e.advance(100 * time.Millisecond)
			}
			t.Fatal("never redialled")
		})
	}
}

// With nobody connected and every candidate backing off, the seeds are
// retried anyway, at most once per DialBackoff.
func TestDesperate(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low = 2
	e := newEnv(t, cfg)
	seed := member(1)
	e.m.AddSeed(seed)
	e.m.Offer(e.now, member(2), SourceMember)
	e.tick(nil)
	for range 6 { // grow both backoffs to a minute
		e.m.DialFailed(e.now, seed)
		e.m.DialFailed(e.now, member(2))
		e.advance(2 * time.Minute)
		e.tick(nil)
	}
	e.m.DialFailed(e.now, seed)
	e.m.DialFailed(e.now, member(2))
	e.m.Forget(e.now, seed.ID) // not even that stops it
	e.advance(500 * time.Millisecond)
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("dialled within DialBackoff of the last dial: %q", got)
	}
	e.advance(time.Second)
	if got := dialed(e.tick(nil)); got != "01/seed" {
		t.Fatalf("desperate round dials %q, want the seed only", got)
	}
	if e.m.Stats().Desperate != 1 {
		t.Fatalf("stats %+v", e.m.Stats())
	}
	// Not desperate once somebody is connected.
	e.m.DialFailed(e.now, seed)
	e.m.Offer(e.now, member(3), SourceMember)
	e.connect(member(3), false)
	e.advance(2 * time.Second)
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("dials %q with a peer up and all backing off", got)
	}
}

// Bans: refused at Connected, held off as dial candidates until they
// expire, a connected banned peer disconnected.
func TestBan(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low = 1
	e := newEnv(t, cfg)
	e.m.Offer(e.now, member(1), SourceMember)
	e.connect(member(1), false)
	if e.m.Outbound(pid(1)) {
		t.Fatal("inbound session recorded as outbound")
	}
	e.m.Ban(e.now, pid(1), "graylisted")
	e.m.Ban(e.now, pid(1), "again") // no second disconnect
	o := e.drain()
	if want := []Disconnect{{ID: pid(1), Reason: "banned", Detail: "graylisted"}}; !slices.Equal(o.Disconnects, want) {
		t.Fatalf("disconnects %v, want %v", o.Disconnects, want)
	}
	if e.connect(member(1), false) {
		t.Fatal("banned peer accepted")
	}
	e.m.Disconnected(e.now, pid(1))
	e.advance(time.Second)
	o = e.tick(nil)
	if got := dialed(o); got != "" {
		t.Fatalf("banned peer dialled: %q", got)
	}
	if want := t0.Add(time.Minute); !o.Deadline.Equal(e.now.Add(time.Second)) {
		t.Fatalf("deadline %v, want next round (ban ends %v)", o.Deadline, want)
	}
	e.now = t0.Add(time.Minute)
	if e.m.Banned(e.now, pid(1)) {
		t.Fatal("ban outlived BanDuration")
	}
	if got := dialed(e.tick(nil)); got != "01/member" {
		t.Fatalf("after the ban, dials %q", got)
	}
	st := e.m.Stats()
	if st.Bans != 2 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
	e.m.Unban(pid(1))
}

// The deadline comes from the round, the first backoff expiry of a wanted
// candidate, or a dial timeout; it is never zero after the first Tick.
func TestDeadline(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.Interval, cfg.DialTimeout = 1, 5*time.Second, 3*time.Second
	e := newEnv(t, cfg)
	if e.m.HasReady() {
		t.Fatal("ready before any input")
	}
	o := e.tick(nil)
	if !o.Deadline.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("idle deadline %v", o.Deadline.Sub(t0))
	}
	e.m.Offer(e.now, member(1), SourceMember)
	o = e.tick(nil)
	if !o.Deadline.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("deadline with a dial in flight %v, want the dial timeout", o.Deadline.Sub(t0))
	}
	e.m.DialFailed(e.now, member(1))
	o = e.tick(nil)
	if d := o.Deadline.Sub(t0); d < 800*time.Millisecond || d > 1200*time.Millisecond {
		t.Fatalf("deadline after a failure %v, want its backoff", d)
	}
	if e.m.HasReady() {
		t.Fatal("ready after Advance with nothing new")
	}
}

// The table is bounded; members are kept over exchange records.
func TestEviction(t *testing.T) {
	cfg := testConfig(1)
	cfg.MaxCandidates = 3
	e := newEnv(t, cfg)
	e.m.AddSeed(member(100))
	e.m.Offer(e.now, member(1), SourceExchange)
	e.m.Offer(e.now, member(2), SourceMember)
	e.m.Offer(e.now, member(3), SourceExchange)
	e.m.Offer(e.now, member(4), SourceMember) // evicts exchange 1
	e.m.Offer(e.now, member(5), SourceMember) // evicts exchange 3
	e.m.Offer(e.now, member(6), SourceExchange)
	e.m.Offer(e.now, member(2), SourceMember) // 2 is now the newest member
	e.m.Offer(e.now, member(7), SourceMember) // evicts member 4
	var have []byte
	for i := byte(1); i <= 100; i++ {
		if _, _, ok := e.m.Candidate(pid(i)); ok {
			have = append(have, i)
		}
	}
	if want := []byte{2, 5, 7, 100}; !slices.Equal(have, want) {
		t.Fatalf("table %v, want %v", have, want)
	}
	st := e.m.Stats()
	if st.Evicted != 3 || st.Dropped != 1 || st.Candidates != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// Offers: sources rank, addresses move only by equal or better sources,
// Forget removes members but keeps direct peers.
func TestOfferAndForget(t *testing.T) {
	cfg := testConfig(1)
	e := newEnv(t, cfg)
	at := func(b byte, addr string) Target { return Target{ID: pid(b), Addr: addr} }
	e.m.Offer(e.now, at(1, "a:1"), SourceExchange)
	e.m.Offer(e.now, at(1, "a:2"), SourceExchange)
	e.m.Offer(e.now, at(1, "a:3"), SourceMember)
	e.m.Offer(e.now, at(1, "a:4"), SourceExchange)
	e.m.Offer(e.now, at(2, "b:1"), SourceDirect)
	e.m.Offer(e.now, at(2, "b:2"), SourceMember)
	e.m.Offer(e.now, Target{Addr: "c:1"}, SourceMember) // no ID: ignored
	e.m.Offer(e.now, at(3, ""), SourceMember)           // no address: ignored
	tests := []struct {
		id   byte
		addr string
		src  Source
		ok   bool
	}{
		{1, "a:3", SourceMember, true},
		{2, "b:1", SourceDirect, true},
		{3, "", 0, false},
	}
	for _, tt := range tests {
		tg, src, ok := e.m.Candidate(pid(tt.id))
		if tg.Addr != tt.addr || src != tt.src || ok != tt.ok {
			t.Errorf("peer %d: %v %v %v, want %q %v %v", tt.id, tg, src, ok, tt.addr, tt.src, tt.ok)
		}
	}
	e.m.Forget(e.now, pid(1))
	e.m.Forget(e.now, pid(2))
	if _, _, ok := e.m.Candidate(pid(1)); ok {
		t.Error("forgotten member still a candidate")
	}
	if _, _, ok := e.m.Candidate(pid(2)); !ok {
		t.Error("direct peer forgotten")
	}
}

// Self is never a candidate, and an unknown peer that connects is learnt.
func TestSelfAndLearnt(t *testing.T) {
	cfg := testConfig(1)
	cfg.Self = pid(42)
	e := newEnv(t, cfg)
	e.m.Offer(e.now, member(42), SourceMember)
	e.m.AddSeed(member(42))
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("self dialled: %q", got)
	}
	e.connect(member(9), false)
	if _, src, ok := e.m.Candidate(pid(9)); !ok || src != SourceExchange {
		t.Fatalf("inbound peer not learnt: %v %v", src, ok)
	}
	if got := e.m.Peers(); !slices.Equal(got, []peerID{pid(9)}) {
		t.Fatalf("Peers %v", got)
	}
}

// Trim: above High down to High by the policy, through the View; the
// trimmed peers are kept out.
func TestTrim(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.High = 2, 3
	e := newEnv(t, cfg)
	v := &fakeView{
		score:     map[peerID]float64{pid(1): -10, pid(2): 5, pid(3): 1, pid(4): 0, pid(5): -3, pid(6): 2},
		protected: map[peerID]bool{pid(1): true},
	}
	for i := byte(1); i <= 6; i++ {
		e.connect(member(i), i == 5)
	}
	o := e.tick(v)
	var got []byte
	for _, d := range o.Disconnects {
		if d.Reason != "trim" {
			t.Fatalf("reason %q", d.Reason)
		}
		got = append(got, d.ID[0])
	}
	// 1 protected, 5 outbound; inbound by score: 4 (0), 3 (1), 6 (2), 2 (5).
	if want := []byte{4, 3, 6}; !slices.Equal(got, want) {
		t.Fatalf("trimmed %v, want %v", got, want)
	}
	if o := e.tick(v); len(o.Disconnects) != 0 {
		t.Fatalf("trimmed twice: %v", o.Disconnects)
	}
	if e.connect(member(4), false) {
		t.Fatal("trimmed peer accepted again at once")
	}
	if st := e.m.Stats(); st.Trims != 3 || st.Bans != 0 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Same seed, same inputs: same outputs, over a random script, under
// every strategy (peers in three zones).
func TestDeterminism(t *testing.T) {
	for _, st := range mesh.Strategies() {
		t.Run(st.String(), func(t *testing.T) {
			testDeterminism(t, mesh.Prefs{Strategy: st, Zone: "z0", Remote: 1, RandomShare: 0.3})
		})
	}
}

func testDeterminism(t *testing.T, prefs mesh.Prefs) {
	run := func(seed uint64) string {
		cfg := testConfig(seed)
		cfg.Low, cfg.High, cfg.MaxCandidates, cfg.MaxDialing = 4, 6, 20, 3
		cfg.Prefs = prefs
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		script := rand.New(rand.NewPCG(99, 99))
		now := t0
		v := &fakeView{score: map[peerID]float64{}, placement: map[peerID]mesh.Placed{}}
		var trace []byte
		var inflight []Target
		m.AddSeed(Target{Addr: "seed:1"})
		m.AddDirect(member(200))
		for range 2000 {
			now = now.Add(time.Duration(script.IntN(800)) * time.Millisecond)
			id := byte(script.IntN(40) + 1)
			switch script.IntN(8) {
			case 0, 1:
				tg := member(id)
				tg.Zone = fmt.Sprintf("z%d", id%3)
				m.Offer(now, tg, Source(script.IntN(2)))
			case 2:
				m.Forget(now, pid(id))
			case 3:
				if len(inflight) > 0 {
					k := script.IntN(len(inflight))
					tg := inflight[k]
					inflight = slices.Delete(inflight, k, k+1)
					if script.IntN(2) == 0 {
						m.DialFailed(now, tg)
					} else if tg.ID.IsZero() {
						m.Connected(now, pid(250), tg.Addr, true)
					} else {
						m.Connected(now, tg.ID, tg.Addr, true)
					}
				}
			case 4:
				m.Connected(now, pid(id), member(id).Addr, false)
			case 5:
				m.Disconnected(now, pid(id))
			case 6:
				m.Ban(now, pid(id), "x")
			case 7:
				v.score[pid(id)] = float64(script.IntN(10))
				v.placement[pid(id)] = mesh.Placed{RTT: time.Duration(script.IntN(100)) * time.Millisecond}
				m.Tick(now, v)
			}
			if m.HasReady() {
				o := m.Ready()
				for _, d := range o.Dials {
					inflight = append(inflight, d.Target)
				}
				trace = fmt.Appendf(trace, "%v %v %v\n", o.Dials, o.Disconnects, o.Deadline.Sub(t0))
				m.Advance()
			}
			if m.NumDialing() > 3 {
				t.Fatalf("%d dials in flight > MaxDialing", m.NumDialing())
			}
		}
		return string(trace) + fmt.Sprintf("%+v", m.Stats())
	}
	a, b := run(7), run(7)
	if a != b {
		t.Fatal("same seed, different outputs")
	}
	if a == run(8) {
		t.Fatal("different seeds, same outputs: is Rand used?")
	}
}

// A bare-address seed learns its ID from our own dial of its address,
// merging a learnt entry, or a second configuration of the same peer.
func TestSeedNaming(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(e *env)
		wantSrc Source
		wantN   int // candidates afterwards
	}{
		{name: "learnt member merged", setup: func(e *env) {
			e.m.AddSeed(Target{Addr: member(1).Addr})
			e.m.Offer(e.now, member(1), SourceMember)
		}, wantSrc: SourceSeed, wantN: 1},
		{name: "same peer bare and as direct", setup: func(e *env) {
			e.m.AddSeed(Target{Addr: member(1).Addr})
			e.m.AddDirect(member(1))
		}, wantSrc: SourceDirect, wantN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testConfig(1))
			tt.setup(e)
			if !e.connect(member(1), true) {
				t.Fatal("refused")
			}
			if _, src, ok := e.m.Candidate(pid(1)); !ok || src != tt.wantSrc {
				t.Fatalf("source %v %v, want %v", src, ok, tt.wantSrc)
			}
			if st := e.m.Stats(); st.Candidates != tt.wantN {
				t.Fatalf("%d candidates, want %d", st.Candidates, tt.wantN)
			}
			if !e.m.IsConnected(pid(1)) || e.m.NumConnected() != 1 || !e.m.Outbound(pid(1)) {
				t.Fatal("session not recorded as outbound")
			}
		})
	}
}

// Member maps the membership view: an up member becomes a candidate (at
// its announced address), a gone one stops being one.
func TestMember(t *testing.T) {
	e := newEnv(t, testConfig(1))
	e.m.Member(e.now, member(7), true)
	if tg, src, ok := e.m.Candidate(pid(7)); !ok || src != SourceMember || tg.Addr != member(7).Addr {
		t.Fatalf("after an up member: %v %v %v", tg, src, ok)
	}
	e.m.Member(e.now, Target{ID: pid(7)}, false)
	if _, _, ok := e.m.Candidate(pid(7)); ok {
		t.Fatal("a gone member is still a candidate")
	}
}
