package score

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestScoreCacheExact replays random event sequences and checks after each
// event that every peer's Score, read through the cached topic sum, is
// bit-identical to the sum recomputed from scratch (every peer marked
// stale). A mutation that forgets to mark its peer stale fails here.
func TestScoreCacheExact(t *testing.T) {
	// Short steps put many copies inside the P3 window, where the
	// duplicate path credits (and must mark stale).
	steps := []time.Duration{600 * time.Millisecond, 40 * time.Millisecond, 4 * time.Millisecond}
	replay(t, 400, 0xcac4e, steps, func(seed uint64, _ *rand.Rand) func(int, event) {
		s := mustNew(t, oracleParams())
		return func(i int, e event) {
			e.applyScorer(s)
			var cached [9]float64
			for b := byte(1); b <= 8; b++ {
				cached[b] = s.Score(pid(b))
			}
			for _, ps := range s.peers {
				ps.stale = true
			}
			for b := byte(1); b <= 8; b++ {
				if fresh := s.Score(pid(b)); math.Float64bits(fresh) != math.Float64bits(cached[b]) {
					t.Fatalf("seed %d, event %d (%v): cached Score(p%d) = %v, recomputed %v", seed, i, e, b, cached[b], fresh)
				}
			}
		}
	})
}

// replay runs sequences random event sequences (100 under -short) of 250
// events each, the sequence of seed drawn from rand.NewPCG(seed, salt)
// with steps[seed%len(steps)] between events: start prepares a sequence
// (it may draw from rng too) and returns the function each event goes to.
func replay(t *testing.T, sequences int, salt uint64, steps []time.Duration, start func(seed uint64, rng *rand.Rand) func(i int, e event)) {
	t.Helper()
	if testing.Short() {
		sequences = 100
	}
	for seed := range uint64(sequences) {
		rng := rand.New(rand.NewPCG(seed, salt))
		each := start(seed, rng)
		now, msgs := t0, 0
		step := steps[seed%uint64(len(steps))]
		for i := range 250 {
			e := randomEvent(rng, now, step, &msgs)
			now = e.now
			each(i, e)
		}
	}
}

// TestScoreRefExact checks that ScoreRef through a handle taken at each
// AddPeer equals Score bit for bit after every event, across disconnects,
// retention expiry and reconnects (a handle whose peer was forgotten and
// added again must not read the old counters).
func TestScoreRefExact(t *testing.T) {
	steps := []time.Duration{600 * time.Millisecond, 40 * time.Millisecond}
	replay(t, 300, 0x7ef, steps, func(seed uint64, rng *rand.Rand) func(int, event) {
		s := mustNew(t, oracleParams())
		var refs [9]PeerRef
		for b := range refs {
			refs[b] = s.Ref(pid(byte(b))) // before AddPeer: falls back to the lookup
		}
		return func(i int, e event) {
			e.applyScorer(s)
			if e.kind == evAddPeer && rng.IntN(2) == 0 { // some handles outlive a reconnect
				refs[e.peer[0]] = s.Ref(e.peer)
			}
			for b := byte(1); b <= 8; b++ {
				got, want := s.ScoreRef(refs[b]), s.Score(pid(b))
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("seed %d, event %d (%v): ScoreRef(p%d) = %v, Score %v", seed, i, e, b, got, want)
				}
			}
		}
	})
}

// TestDuplicateMessageRefExact runs every random sequence twice, reporting
// duplicates once by ID and once through handles (taken at AddPeer, some
// kept across reconnects), and checks that every score and counter agree
// bit for bit after each event.
func TestDuplicateMessageRefExact(t *testing.T) {
	steps := []time.Duration{600 * time.Millisecond, 40 * time.Millisecond, 4 * time.Millisecond}
	replay(t, 300, 0xd0b, steps, func(seed uint64, rng *rand.Rand) func(int, event) {
		byID, byRef := mustNew(t, oracleParams()), mustNew(t, oracleParams())
		var refs [9]PeerRef
		for b := range refs {
			refs[b] = byRef.Ref(pid(byte(b)))
		}
		return func(i int, e event) {
			e.applyScorer(byID)
			if e.kind == evDuplicate {
				byRef.DuplicateMessageRef(e.now, refs[e.peer[0]], []byte(e.msg), e.topic)
			} else {
				e.applyScorer(byRef)
			}
			if e.kind == evAddPeer && rng.IntN(2) == 0 {
				refs[e.peer[0]] = byRef.Ref(e.peer)
			}
			for b := byte(1); b <= 8; b++ {
				got, want := byRef.Score(pid(b)), byID.Score(pid(b))
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("seed %d, event %d (%v): Score(p%d) by handle %v, by ID %v", seed, i, e, b, got, want)
				}
			}
			if byRef.Stats() != byID.Stats() {
				t.Fatalf("seed %d, event %d (%v): stats by handle %+v, by ID %+v", seed, i, e, byRef.Stats(), byID.Stats())
			}
		}
	})
}
