package router

import (
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// The package's Scorer implements the choke hooks.
var _ ChokeScorer = (*score.Scorer)(nil)

// chokeEnv returns a router joined to "t" with inbound peers 1..peers, a
// mesh of them all (D = Dhi = peers), the choke extension on with a window
// of window messages at any load (ChokeMinRate 0), and mod applied last.
func chokeEnv(t *testing.T, peers, window int, mod func(*Config)) (*env, []int) {
	t.Helper()
	e := newJoinedEnv(t, func(c *Config) {
		p := &c.Params
		p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout = peers, min(peers, 4), peers, min(peers, 4), 0
		p.Choke, p.ChokeWindow, p.ChokeMinUnchoked, p.ChokeMargin = true, window, 2, time.Millisecond
		p.ChokeMinRate = 0
		if mod != nil {
			mod(c)
		}
	}, peers)
	m := e.meshOf("t")
	if len(m) != peers {
		t.Fatalf("mesh %v, want %d peers", m, peers)
	}
	return e, m
}

// deliver sends message seq first from peer first, then after lag from
// each of late (duplicates).
func (e *env) deliverLate(seq uint64, first int, lag time.Duration, late ...int) {
	e.rpcFrom(first, pub(msg("t", seq, 64)))
	e.now = e.now.Add(lag)
	for _, p := range late {
		e.rpcFrom(p, pub(msg("t", seq, 64)))
	}
}

// chokesTo returns the topics of the CHOKEs and UNCHOKEs in the last output
// to peer i.
func (e *env) chokesTo(i int) (chokes, unchokes int) {
	if s := e.sendTo(i); s != nil {
		return len(s.Choke), len(s.Unchoke)
	}
	return 0, 0
}

func TestPublishIDontWant(t *testing.T) {
	tests := []struct {
		name   string
		on     bool
		sign   bool
		wantTo int // mesh peers that get IDONTWANT with the message
	}{
		{"on, no author", true, false, 6},
		{"off", false, false, 0},
		{"on, signed: receivers skip the author anyway", true, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newJoinedEnv(t, func(c *Config) {
				c.Params.PublishIDontWant = tc.on
				if tc.sign {
					id, err := peer.IdentityFromSeed(make([]byte, 32))
					if err != nil {
						t.Fatal(err)
					}
					c.SignaturePolicy, c.Identity, c.AppendMessageID = StrictSign, id, nil
				}
			}, 10)
			id, err := e.publish("t", msg("t", 1, 256).Data)
			if err != nil {
				t.Fatal(err)
			}
			mesh := e.meshOf("t")
			got := 0
			for i := 1; i <= 10; i++ {
				s := e.sendTo(i)
				if s == nil || len(s.Publish) != 1 {
					t.Fatalf("peer %d: no copy (flood publish)", i)
				}
				if len(s.IDontWant) == 0 {
					continue
				}
				if !slices.Contains(mesh, i) || !slices.Equal(s.IDontWant[0].IDs, []string{id}) {
					t.Fatalf("peer %d (mesh %v): IDONTWANT %v", i, mesh, s.IDontWant)
				}
				got++
			}
			if got != tc.wantTo || e.r.Stats().IDontWantSent != uint64(tc.wantTo) {
				t.Fatalf("IDONTWANT to %d peers (stats %d), want %d", got, e.r.Stats().IDontWantSent, tc.wantTo)
			}
		})
	}
}

// TestIDontWantOnlyWhileValidating: a message validated inline goes out
// with no IDONTWANT (the copy says as much), one validated asynchronously
// is announced before validation.
func TestIDontWantOnlyWhileValidating(t *testing.T) {
	for _, async := range []bool{false, true} {
		e := newJoinedEnv(t, nil, 8)
		e.r.SetValidator("t", TopicValidator{Async: async})
		mesh := e.meshOf("t")
		e.rpcFrom(mesh[0], pub(msg("t", 1, 2048)))
		want := 0
		if async {
			want = len(mesh) - 1
		}
		if got := e.r.Stats().IDontWantSent; got != uint64(want) {
			t.Fatalf("async %v: %d IDONTWANT, want %d", async, got, want)
		}
	}
}

func TestChokeLateMeshPeer(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, nil)
	fast, near, late := m[0], m[1], m[3]
	for seq := uint64(1); seq <= 3; seq++ {
		e.rpcFrom(fast, pub(msg("t", seq, 64)))
		e.rpcFrom(near, pub(msg("t", seq, 64))) // within ChokeMargin
		e.now = e.now.Add(10 * time.Millisecond)
		e.rpcFrom(late, pub(msg("t", seq, 64)))
	}
	if s := e.r.Stats(); s.ChokeSent != 0 {
		t.Fatalf("choked before the window ended: %+v", s.ChokeSent)
	}
	e.rpcFrom(fast, pub(msg("t", 4, 64))) // the window's 4th message
	if c, _ := e.chokesTo(late); c != 1 || e.countEvents(EventChoke) != 1 {
		t.Fatalf("late peer not choked: %s", e.summary())
	}
	for _, p := range []int{fast, near, m[2]} {
		if c, _ := e.chokesTo(p); c != 0 {
			t.Fatalf("peer %d choked: %s", p, e.summary())
		}
	}
	if s := e.r.Stats(); s.ChokeSent != 1 {
		t.Fatalf("ChokeSent %d", s.ChokeSent)
	}
}

// chokeOne chokes the last mesh peer of a chokeEnv (window 4) and returns
// it.
func chokeOne(t *testing.T, e *env, m []int) int {
	t.Helper()
	late := m[len(m)-1]
	for seq := uint64(1); seq <= 4; seq++ {
		e.deliverLate(seq, m[0], 10*time.Millisecond, late)
	}
	e.rpcFrom(m[0], pub(msg("t", 5, 64))) // outputs of the 4th window end above
	if e.r.Stats().ChokeSent != 1 {
		t.Fatalf("not choked: %+v", e.r.Stats())
	}
	return late
}

func TestChokedPeerGetsIHave(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, nil)
	// Mesh peer m[3] chokes us; m[2], not a mesh peer of "u", cannot.
	e.rpcFrom(m[3], &rpc.RPC{Choke: []rpc.Choke{{Topic: "t"}}, Unchoke: nil})
	e.rpcFrom(m[2], &rpc.RPC{Choke: []rpc.Choke{{Topic: "u"}}})
	if s := e.r.Stats(); s.ChokeRecv != 1 || s.Drops[DropChokeNotMesh] != 1 {
		t.Fatalf("ChokeRecv %d, not-mesh drops %d", s.ChokeRecv, s.Drops[DropChokeNotMesh])
	}
	e.rpcFrom(m[0], pub(msg("t", 7, 64)))
	if s := e.sendTo(m[3]); s == nil || len(s.Publish) != 0 || len(s.IHave) != 1 || !slices.Equal(s.IHave[0].IDs, []string{msgID(7)}) {
		t.Fatalf("choked us: want IHAVE 7, no message: %s", e.summary())
	}
	if s := e.sendTo(m[1]); s == nil || len(s.Publish) != 1 {
		t.Fatalf("unchoked peer: want the message: %s", e.summary())
	}
	// Own messages still go in full.
	if _, err := e.publish("t", msg("t", 8, 64).Data); err != nil {
		t.Fatal(err)
	}
	if s := e.sendTo(m[3]); s == nil || len(s.Publish) != 1 {
		t.Fatalf("own message to a peer that choked us: %s", e.summary())
	}
	e.rpcFrom(m[3], &rpc.RPC{Unchoke: []rpc.Unchoke{{Topic: "t"}}})
	e.rpcFrom(m[0], pub(msg("t", 9, 64)))
	if s := e.sendTo(m[3]); s == nil || len(s.Publish) != 1 || len(s.IHave) != 0 {
		t.Fatalf("after UNCHOKE: want the message: %s", e.summary())
	}
	// A PRUNE ends a CHOKE: after a re-graft the peer gets messages.
	e.rpcFrom(m[3], &rpc.RPC{Choke: []rpc.Choke{{Topic: "t"}}})
	e.rpcFrom(m[3], &rpc.RPC{Prune: []rpc.Prune{{Topic: "t", Backoff: 1}}})
	e.now = e.now.Add(3 * time.Second)
	e.rpcFrom(m[3], &rpc.RPC{Graft: []rpc.Graft{{Topic: "t"}}})
	e.rpcFrom(m[0], pub(msg("t", 10, 64)))
	if s := e.sendTo(m[3]); s == nil || len(s.Publish) != 1 {
		t.Fatalf("after PRUNE and GRAFT: want the message: %s", e.summary())
	}
}

// TestUnchokeWhenIHaveWouldBeFirst: a choked peer whose IHAVEs name
// messages before any copy of them comes would have been first, and is
// unchoked, when its IHAVE led the first copy by more than ChokeMargin
// (1 ms here); an IHAVE that only just beat the copies (it was sent when
// the others sent the message, and is smaller) shows no faster peer.
func TestUnchokeWhenIHaveWouldBeFirst(t *testing.T) {
	tests := []struct {
		name     string
		lead     time.Duration // from the IHAVE to the first copy
		unchokes uint64
	}{
		{"leads by 5 ms", 5 * time.Millisecond, 1},
		{"leads by 2 ms", 2 * time.Millisecond, 1},
		{"leads by the margin", time.Millisecond, 0},
		{"leads by 300 µs", 300 * time.Microsecond, 0},
		{"at once", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, m := chokeEnv(t, 4, 4, nil)
			late := chokeOne(t, e, m)
			for seq := uint64(20); seq < 24; seq++ {
				e.rpcFrom(late, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(seq))}})
				e.now = e.now.Add(tc.lead)
				e.rpcFrom(m[0], pub(msg("t", seq, 64)))
			}
			if got := e.r.Stats().UnchokeSent; got != tc.unchokes {
				t.Fatalf("%d UNCHOKEs, want %d\n%s", got, tc.unchokes, e.summary())
			}
		})
	}
}

func TestChokeKeepsMinUnchoked(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, nil)
	// Everyone but m[0] is late: only two may be choked (4 − 2).
	for seq := uint64(1); seq <= 4; seq++ {
		e.deliverLate(seq, m[0], 10*time.Millisecond, m[1], m[2], m[3])
	}
	if got := e.r.Stats().ChokeSent; got != 2 {
		t.Fatalf("%d choked, want 2 (ChokeMinUnchoked 2 of 4)", got)
	}
	// An unchoked mesh peer leaves: the heartbeat unchokes one choked peer.
	e.r.RemovePeer(e.now, pid(m[0]))
	e.heartbeat()
	if got := e.r.Stats().UnchokeSent; got != 1 {
		t.Fatalf("%d unchoked after an unchoked peer left, want 1\n%s", got, e.summary())
	}
}

// TestSilentChokedPeerUnchoked: a choked peer that carries under half of
// the messages first received since the last heartbeat (it would escape
// P3 while choked) is unchoked at the heartbeat, once choked for a whole
// interval; one that announces what it gets, or still sends it in full
// and late (it has not read our CHOKE yet), stays choked. Window ends do
// not judge silence: under load a busy peer is silent for many windows.
func TestSilentChokedPeerUnchoked(t *testing.T) {
	tests := []struct {
		name     string
		carry    func(e *env, late int, seq uint64)
		wait     time.Duration // from the choke to the heartbeat
		unchokes uint64
	}{
		{"announces", func(e *env, late int, seq uint64) {
			e.rpcFrom(late, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(seq))}})
		}, time.Second, 0},
		{"sends late in full", func(e *env, late int, seq uint64) {
			e.rpcFrom(late, pub(msg("t", seq, 64)))
		}, time.Second, 0},
		{"carries two of six", func(e *env, late int, seq uint64) {
			if seq == 6 {
				e.rpcFrom(late, pub(msg("t", seq, 64)))
			}
		}, time.Second, 1},
		{"silent", func(*env, int, uint64) {}, time.Second, 1},
		{"silent, choked under an interval ago", func(*env, int, uint64) {}, 500 * time.Millisecond, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, m := chokeEnv(t, 4, 4, nil)
			late := chokeOne(t, e, m) // its copy of message 4 came after the CHOKE
			choked := e.now
			for seq := uint64(6); seq <= 10; seq++ {
				e.now = e.now.Add(10 * time.Millisecond)
				e.rpcFrom(m[0], pub(msg("t", seq, 64)))
				tc.carry(e, late, seq)
			}
			if got := e.r.Stats().UnchokeSent; got != 0 {
				t.Fatalf("%d UNCHOKEs before the heartbeat", got)
			}
			e.tick(choked.Add(tc.wait).Sub(e.now))
			if got := e.r.Stats().UnchokeSent; got != tc.unchokes {
				t.Fatalf("%d UNCHOKEs, want %d", got, tc.unchokes)
			}
		})
	}
}

// A choked peer whose copies, still sent in full, come first (it has not
// read our CHOKE yet) would have been first: it is unchoked like one whose
// IHAVEs name unseen messages.
func TestUnchokeWhenFullCopyFirst(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, nil)
	late := chokeOne(t, e, m)
	for seq := uint64(20); seq < 24; seq++ {
		e.deliverLate(seq, late, 10*time.Millisecond, m[0])
	}
	if got := e.r.Stats().UnchokeSent; got != 1 {
		t.Fatalf("%d UNCHOKEs, want 1\n%s", got, e.summary())
	}
}

func TestChokeTimeout(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, func(c *Config) { c.Params.ChokeTimeout = 3 * time.Second })
	late := chokeOne(t, e, m)
	e.heartbeats(2)
	if e.r.Stats().UnchokeSent != 0 {
		t.Fatal("unchoked before ChokeTimeout")
	}
	e.heartbeats(2)
	if e.r.Stats().UnchokeSent != 1 {
		t.Fatalf("peer %d not unchoked after ChokeTimeout", late)
	}
}

// TestChokedPeerNotPenalisedByP3: mesh peers we choked deliver nothing
// (they send IHAVE), and P3 must not count that against them, while mesh
// peers that deliver nothing unchoked sink below zero and are pruned.
func TestChokedPeerNotPenalisedByP3(t *testing.T) {
	sp := score.DefaultParams("t")
	sp.Topics["t"].MeshMessageDeliveriesActivation = 2 * time.Second
	sp.Topics["t"].MeshMessageDeliveriesThreshold = 1
	e, m := chokeEnv(t, 6, 4, withScorer(t, sp, score.DefaultThresholds()))
	for seq := uint64(1); seq <= 4; seq++ {
		e.deliverLate(seq, m[seq%2], 10*time.Millisecond, m[4], m[5])
	}
	if got := e.r.Stats().ChokeSent; got != 2 {
		t.Fatalf("%d choked, want the 2 late peers", got)
	}
	e.heartbeats(3) // P3 active
	sc := e.scorer()
	p3b := func(p int) float64 {
		ps, ok := snapshotOf(sc, e.now, pid(p))
		if !ok {
			t.Fatalf("peer %d unknown", p)
		}
		return topicScoreOf(t, ps, "t").Raw.P3b
	}
	if got, want := e.meshOf("t"), []int{m[0], m[1], m[4], m[5]}; !slices.Equal(got, want) {
		t.Fatalf("mesh %v, want %v: the silent unchoked peers pruned, the choked kept", got, want)
	}
	if p3b(m[2]) == 0 || p3b(m[4]) != 0 {
		t.Fatalf("P3b: silent %v, choked %v", p3b(m[2]), p3b(m[4]))
	}
	// Pruned while choked: no sticky P3b either.
	e.rpcFrom(m[5], &rpc.RPC{Prune: []rpc.Prune{{Topic: "t"}}})
	if got := p3b(m[5]); got != 0 {
		t.Fatalf("choked peer pruned: P3b = %v", got)
	}
}

// TestChokeMinRate: choke engages once the topic's load, measured over one
// to two heartbeats (at least one), reaches ChokeMinRate; when it falls
// under half of it, the next window's end or heartbeat unchokes.
func TestChokeMinRate(t *testing.T) {
	type phase struct {
		gap time.Duration // between messages
		n   int           // messages
	}
	var (
		// With 1 KB bodies:
		fast  = phase{10 * time.Millisecond, 100} // ~100 KB/s for 1 s
		mid   = phase{30 * time.Millisecond, 100} // ~33 KB/s for 3 s
		slow  = phase{100 * time.Millisecond, 30} // ~10 KB/s for 3 s
		burst = phase{0, 30}                      // a 3 s backlog of slow at once
		// With 100 KB bodies, ~400 KB/s for 2 s:
		big = phase{250 * time.Millisecond, 8}
	)
	tests := []struct {
		name     string
		minRate  int
		size     int // data bytes per message
		phases   []phase
		idle     time.Duration // then no messages for this long
		chokes   uint64
		unchokes uint64
		// engaged: choke is engaged at the end, so the topic holds the
		// recent first arrivals (and only then: a few KB per topic).
		engaged bool
	}{
		{"below: no choke", 200_000, 1000, []phase{fast, fast}, 0, 0, 0, false},
		{"above: choke", 50_000, 1000, []phase{fast}, 0, 1, 0, true},
		{"above throughout: stays choked", 50_000, 1000, []phase{fast, fast, fast, fast}, 0, 1, 0, true},
		{"load falls: unchoked", 50_000, 1000, []phase{fast, slow}, 0, 1, 1, false},
		{"load near the threshold: stays choked (hysteresis)", 50_000, 1000, []phase{fast, mid}, 0, 1, 0, true},
		{"near the threshold, never above: no choke", 50_000, 1000, []phase{mid}, 0, 0, 0, false},
		{"load rises again: choked again", 50_000, 1000, []phase{fast, slow, fast}, 0, 2, 1, true},
		{"load stops: unchoked at a heartbeat", 50_000, 1000, []phase{fast}, 3 * time.Second, 1, 1, false},
		{"a backlog at once is no load", 50_000, 1000, []phase{slow, burst, slow}, 0, 0, 0, false},
		{"bytes, not messages: large ones engage", 200_000, 100_000, []phase{big}, 0, 1, 0, true},
		{"bytes, not messages: small ones at the same pace do not", 200_000, 1000, []phase{big}, 0, 0, 0, false},
		{"zero: any load", 0, 1000, []phase{slow}, 3 * time.Second, 1, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, m := chokeEnv(t, 4, 4, func(c *Config) { c.Params.ChokeMinRate = tc.minRate })
			first, late := m[0], m[3]
			seq := uint64(0)
			for _, ph := range tc.phases {
				for range ph.n {
					seq++
					e.rpcFrom(first, pub(msg("t", seq, tc.size)))
					e.tick(ph.gap) // heartbeats fall due as the load goes on
					if s := e.r.Stats(); s.ChokeSent > s.UnchokeSent {
						// Choked: it announces what it got, as it should.
						e.rpcFrom(late, &rpc.RPC{IHave: []rpc.IHave{ihave("t", msgID(seq))}})
					} else {
						e.rpcFrom(late, pub(msg("t", seq, tc.size)))
					}
				}
			}
			for range tc.idle / time.Second {
				e.heartbeat()
			}
			if s := e.r.Stats(); s.ChokeSent != tc.chokes || s.UnchokeSent != tc.unchokes {
				t.Fatalf("%d CHOKEs, %d UNCHOKEs; want %d, %d\n%s", s.ChokeSent, s.UnchokeSent, tc.chokes, tc.unchokes, e.summary())
			}
			c := e.r.topics["t"].ch
			if c.engaged != tc.engaged || (c.firsts.m != nil) != tc.engaged || (c.firsts.ring != nil) != tc.engaged {
				t.Fatalf("engaged %v, first arrivals held %v/%v; want %v", c.engaged, c.firsts.m != nil, c.firsts.ring != nil, tc.engaged)
			}
			if !c.engaged && (c.announced.m != nil || c.announced.ring != nil) {
				t.Fatalf("disengaged, but choked peers' announcements held")
			}
		})
	}
}

// An engaged topic in which nobody was late (so nobody is choked)
// disengages at the heartbeat that finds its load gone, and gives back its
// first arrivals: a heartbeat, not only a window's end, can disengage.
func TestChokeDisengagesWhenIdle(t *testing.T) {
	e, m := chokeEnv(t, 4, 4, func(c *Config) { c.Params.ChokeMinRate = 50_000 })
	for seq := uint64(1); seq <= 100; seq++ {
		for _, p := range m { // ~100 KB/s, every copy at once
			e.rpcFrom(p, pub(msg("t", seq, 1000)))
		}
		e.tick(10 * time.Millisecond)
	}
	c := e.r.topics["t"].ch
	if s := e.r.Stats(); s.ChokeSent != 0 || !c.engaged || c.firsts.m == nil {
		t.Fatalf("after the load: %d CHOKEs, engaged %v, first arrivals held %v; want 0, true, true", s.ChokeSent, c.engaged, c.firsts.m != nil)
	}
	e.heartbeats(3)
	if c.engaged || c.firsts.m != nil || c.firsts.ring != nil {
		t.Fatalf("idle: engaged %v, first arrivals held %v; want false, false", c.engaged, c.firsts.m != nil)
	}
}
