package peering

import (
	"testing"
	"time"
)

// Only the caller's own dial (an outbound session, reported with the
// address it dialled) may complete a bare-address dial or name a
// bare-address seed or direct peer: an inbound session's address is the
// peer's to claim, so an inbound session is matched by ID only. Otherwise
// a banned peer could claim a direct peer's address to be named as it and
// escape its ban, or claim a seed's address to pass as the seed.
func TestInboundMatchedByIDOnly(t *testing.T) {
	const addr = "10.0.0.7:7946"
	tests := []struct {
		name      string
		setup     func(e *env)
		outbound  bool
		allowed   bool
		wantSrc   Source // pid(9)'s candidate source afterwards
		wantDials int    // dials still in flight
	}{
		{name: "inbound claims a direct peer's address, banned", setup: func(e *env) {
			e.m.AddDirect(Target{Addr: addr})
			e.m.Ban(e.now, pid(9), "graylisted")
		}, allowed: false, wantSrc: SourceExchange, wantDials: 1},
		{name: "inbound claims a dialled seed's address", setup: func(e *env) {
			e.m.AddSeed(Target{Addr: addr})
		}, allowed: true, wantSrc: SourceExchange, wantDials: 1},
		{name: "outbound reaches the seed", setup: func(e *env) {
			e.m.AddSeed(Target{Addr: addr})
		}, outbound: true, allowed: true, wantSrc: SourceSeed, wantDials: 0},
		{name: "outbound reaches the direct peer, banned", setup: func(e *env) {
			e.m.AddDirect(Target{Addr: addr})
			e.m.Ban(e.now, pid(9), "graylisted")
		}, outbound: true, allowed: true, wantSrc: SourceDirect, wantDials: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testConfig(1))
			tt.setup(e)
			if got := dialed(e.tick(nil)); got != addr {
				t.Fatalf("dials %q, want the bare address", got)
			}
			if got := e.m.Connected(e.now, pid(9), addr, tt.outbound); got != tt.allowed {
				t.Fatalf("Connected = %v, want %v", got, tt.allowed)
			}
			if n := e.m.NumDialing(); n != tt.wantDials {
				t.Fatalf("%d dials in flight, want %d", n, tt.wantDials)
			}
			_, src, ok := e.m.Candidate(pid(9))
			if tt.allowed && (!ok || src != tt.wantSrc) {
				t.Fatalf("candidate %v %v, want %v", src, ok, tt.wantSrc)
			}
			if !tt.allowed && ok && src >= SourceSeed {
				t.Fatalf("refused peer named as %v", src)
			}
			if direct := e.m.IsDirect(pid(9)); direct != (tt.wantSrc == SourceDirect) {
				t.Fatalf("IsDirect = %v", direct)
			}
		})
	}
}

// The caller's own dial that finds the peer already connected through a
// session the peer opened (DialReached) completes the dial and names a
// bare-address entry, without changing the session.
func TestDialReached(t *testing.T) {
	const addr = "10.0.0.7:7946"
	e := newEnv(t, testConfig(1))
	e.m.AddDirect(Target{Addr: addr})
	if got := dialed(e.tick(nil)); got != addr {
		t.Fatalf("dials %q", got)
	}
	if !e.m.Connected(e.now, pid(9), "10.9.9.9:1234", false) {
		t.Fatal("refused")
	}
	e.m.DialReached(e.now, Target{Addr: addr}, pid(9))
	if !e.m.IsDirect(pid(9)) || e.m.NumDialing() != 0 || e.m.Outbound(pid(9)) {
		t.Fatalf("direct %v, dialing %d, outbound %v", e.m.IsDirect(pid(9)), e.m.NumDialing(), e.m.Outbound(pid(9)))
	}
	if st := e.m.Stats(); st.Candidates != 1 {
		t.Fatalf("%d candidates, want the direct peer only", st.Candidates)
	}
	e.advance(time.Second)
	if got := dialed(e.tick(nil)); got != "" {
		t.Fatalf("connected direct peer dialled again: %q", got)
	}
}

// dialAndConnect has the Manager dial t (its only candidate wanted) and
// reports the dial up, outbound, at t.Addr: t's address is then verified.
func dialAndConnect(e *env, t Target) {
	e.t.Helper()
	e.m.Offer(e.now, t, SourceExchange)
	if got := dialed(e.tick(nil)); got == "" {
		e.t.Fatalf("%v not dialled", t)
	}
	if !e.m.Connected(e.now, t.ID, t.Addr, true) {
		e.t.Fatalf("%v refused", t)
	}
}

// A full table evicts exchange records that never answered before those
// whose address our own dial proved; an unverified exchange offer never
// evicts a verified one.
func TestEvictionFavoursVerified(t *testing.T) {
	cfg := testConfig(1)
	cfg.MaxCandidates, cfg.Low, cfg.High = 3, 1, 8
	e := newEnv(t, cfg)
	dialAndConnect(e, member(1)) // verified, and Low is met
	e.m.Offer(e.now, member(2), SourceExchange)
	e.m.Offer(e.now, member(3), SourceExchange)
	e.m.Offer(e.now, member(4), SourceExchange) // evicts 2, not the older 1
	e.m.Offer(e.now, member(5), SourceExchange) // evicts 3
	have := func() (ids []byte) {
		for i := byte(1); i <= 10; i++ {
			if _, _, ok := e.m.Candidate(pid(i)); ok {
				ids = append(ids, i)
			}
		}
		return ids
	}
	if got := string(have()); got != string([]byte{1, 4, 5}) {
		t.Fatalf("table %v, want [1 4 5]", []byte(got))
	}
	// Only verified records left: a new unverified one is dropped.
	e.m.Disconnected(e.now, pid(1))
	cfg2 := testConfig(2)
	cfg2.MaxCandidates, cfg2.Low, cfg2.High = 2, 2, 8
	e2 := newEnv(t, cfg2)
	e2.m.Offer(e2.now, member(1), SourceExchange)
	e2.m.Offer(e2.now, member(2), SourceExchange)
	o := e2.tick(nil)
	if len(o.Dials) != 2 {
		t.Fatalf("dials %s", dialed(o))
	}
	e2.connect(member(1), true)
	e2.connect(member(2), true)
	e2.m.Offer(e2.now, member(3), SourceExchange)
	if _, _, ok := e2.m.Candidate(pid(3)); ok {
		t.Fatal("an unverified record evicted a verified one")
	}
	if st := e2.m.Stats(); st.Dropped != 1 || st.Evicted != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A member still makes room, evicting the oldest verified record.
	e2.m.Offer(e2.now, member(4), SourceMember)
	if _, _, ok := e2.m.Candidate(pid(4)); !ok {
		t.Fatal("member dropped")
	}
	if _, _, ok := e2.m.Candidate(pid(1)); ok {
		t.Fatal("oldest verified record kept over a member")
	}
}

// A second-hand record (peer exchange, LAN beacon) cannot move the address
// of a candidate our own dial verified, nor of a connected peer; it moves
// only an unverified record's. A failed dial makes a verified address
// unverified again.
func TestExchangeCannotMoveProvenAddress(t *testing.T) {
	cfg := testConfig(1)
	cfg.Low, cfg.High = 3, 8
	e := newEnv(t, cfg)
	evil := func(b byte) Target { return Target{ID: pid(b), Addr: "203.0.113.1:7946"} }
	addr := func(b byte) string { tg, _, _ := e.m.Candidate(pid(b)); return tg.Addr }

	dialAndConnect(e, member(1))
	e.m.Offer(e.now, evil(1), SourceExchange)
	if got := addr(1); got != member(1).Addr {
		t.Fatalf("connected verified peer moved to %q", got)
	}
	e.advance(time.Minute)
	e.m.Disconnected(e.now, pid(1))
	e.m.Offer(e.now, evil(1), SourceExchange)
	if got := addr(1); got != member(1).Addr {
		t.Fatalf("verified record moved to %q", got)
	}

	// An inbound peer, learnt at its session's address, keeps it while
	// connected.
	e.connect(member(2), false)
	e.m.Offer(e.now, evil(2), SourceExchange)
	if got := addr(2); got != member(2).Addr {
		t.Fatalf("connected inbound peer moved to %q", got)
	}

	// An unverified record moves (the latest offer wins).
	e.m.Offer(e.now, member(3), SourceExchange)
	e.m.Offer(e.now, evil(3), SourceExchange)
	if got := addr(3); got != evil(3).Addr {
		t.Fatalf("unverified record at %q, want the latest offer", got)
	}

	// Peer 1's verified address stops answering: unverified again.
	e.m.Disconnected(e.now, pid(2))
	e.advance(time.Minute)
	o := e.tick(nil)
	for _, d := range o.Dials {
		e.m.DialFailed(e.now, d.Target)
	}
	e.m.Offer(e.now, evil(1), SourceExchange)
	if got := addr(1); got != evil(1).Addr {
		t.Fatalf("record whose dial failed still at %q", got)
	}
}
