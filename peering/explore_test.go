package peering

import (
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// fastEnv returns a PreferFast Manager (Low 3, High 10, Interval 1 s)
// with members 1..10 offered and sessions with 1..3: 1 inbound, 2 and 3
// outbound. view holds the sessions' RTTs in ms (by peer byte).
func fastEnv(t *testing.T, s mesh.Strategy, share float64) (*env, *fakeView) {
	cfg := testConfig(1)
	cfg.Low, cfg.High, cfg.Interval = 3, 10, time.Second
	cfg.Prefs = mesh.Prefs{Strategy: s, RandomShare: share}
	e := newEnv(t, cfg)
	for b := byte(1); b <= 10; b++ {
		e.m.Member(e.now, member(b), true)
	}
	e.connect(member(1), false)
	e.connect(member(2), true)
	e.connect(member(3), true)
	v := &fakeView{placement: map[peer.ID]mesh.Placed{}, protected: map[peer.ID]bool{}}
	return e, v
}

func (v *fakeView) setRTT(b byte, ms int) {
	v.placement[pid(b)] = mesh.Placed{ID: pid(b), RTT: time.Duration(ms) * time.Millisecond}
}

// TestPreferFastExplores: at Low, a PreferFast Manager dials one more
// candidate every exploreRounds rounds; Uniform does not. The gap grows
// while explored peers do not last, and stops below min(2 × Low, High).
func TestPreferFastExplores(t *testing.T) {
	e, v := fastEnv(t, mesh.Uniform, 0)
	if out := e.tick(v); len(out.Dials) != 0 {
		t.Fatalf("Uniform at Low dialled %v", out.Dials)
	}

	e, v = fastEnv(t, mesh.PreferFast, 0)
	out := e.tick(v)
	if len(out.Dials) != 1 || e.m.Stats().Explores != 1 {
		t.Fatalf("PreferFast at Low: dials %v, explores %d; want one exploring dial", out.Dials, e.m.Stats().Explores)
	}
	first := out.Dials[0].Target
	// Nothing more until the dial is done and exploreRounds have passed.
	e.advance(time.Second)
	if out := e.tick(v); len(out.Dials) != 0 {
		t.Fatalf("a second exploring dial while one is in flight: %v", out.Dials)
	}
	e.m.DialFailed(e.now, first)
	e.advance(time.Second)
	out = e.tick(v)
	if len(out.Dials) != 1 {
		t.Fatalf("after %d rounds: dials %v, want the next exploring dial", exploreRounds, out.Dials)
	}
	// That one failed too: the gap grew by a round.
	e.m.DialFailed(e.now, out.Dials[0].Target)
	e.advance(time.Duration(exploreRounds) * time.Second)
	if out := e.tick(v); len(out.Dials) != 0 {
		t.Fatalf("the gap did not grow after a failed exploration: %v", out.Dials)
	}
	e.advance(time.Duration(exploreRounds) * time.Second)
	if out := e.tick(v); len(out.Dials) != 1 {
		t.Fatalf("no exploring dial after the grown gap: %v", out.Dials)
	}

	// At 2 × Low peers, no exploring.
	e, v = fastEnv(t, mesh.PreferFast, 0)
	for b := byte(4); b <= 6; b++ {
		e.connect(member(b), false)
	}
	if out := e.tick(v); len(out.Dials) != 0 {
		t.Fatalf("explored at 2 × Low: %v", out.Dials)
	}
}

// TestPreferFastTrimsSlow: above Low, the slowest session goes when it
// is outbound, not in a mesh, not direct, not in the random share and
// slower than the median; one per round, never below Low.
func TestPreferFastTrimsSlow(t *testing.T) {
	tests := []struct {
		name  string
		s     mesh.Strategy
		share float64
		rtts  map[byte]int // sessions 1..5: 1 and 4 inbound
		prot  []byte
		score map[byte]float64
		want  []byte // closed, round by round
	}{
		{"slowest outbound", mesh.PreferFast, 0, map[byte]int{1: 10, 2: 300, 3: 20, 4: 30, 5: 200}, nil, nil, []byte{2, 5}},
		{"inbound is the other node's", mesh.PreferFast, 0, map[byte]int{1: 900, 2: 10, 3: 20, 4: 800, 5: 30}, nil, nil, nil},
		{"mesh peers stay", mesh.PreferFast, 0, map[byte]int{1: 10, 2: 300, 3: 20, 4: 30, 5: 200}, []byte{2}, nil, []byte{5}},
		{"scoring above the median stays", mesh.PreferFast, 0, map[byte]int{1: 10, 2: 300, 3: 20, 4: 30, 5: 200}, nil, map[byte]float64{2: 5}, []byte{5}},
		{"not slower than the median", mesh.PreferFast, 0, map[byte]int{1: 100, 2: 10, 3: 20, 4: 100, 5: 30}, nil, nil, nil},
		{"unmeasured stay", mesh.PreferFast, 0, map[byte]int{1: 10, 3: 20, 4: 30}, nil, nil, nil},
		{"random share stays", mesh.PreferFast, 1, map[byte]int{1: 10, 2: 300, 3: 20, 4: 30, 5: 200}, nil, nil, nil},
		{"Uniform keeps all", mesh.Uniform, 0, map[byte]int{1: 10, 2: 300, 3: 20, 4: 30, 5: 200}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, v := fastEnv(t, tc.s, tc.share)
			e.connect(member(4), false)
			e.connect(member(5), true)
			for b, ms := range tc.rtts {
				v.setRTT(b, ms)
			}
			for _, b := range tc.prot {
				v.protected[pid(b)] = true
			}
			v.score = map[peer.ID]float64{}
			for b, sc := range tc.score {
				v.score[pid(b)] = sc
			}
			var got []byte
			for range 3 {
				for _, d := range e.tick(v).Disconnects {
					got = append(got, d.ID[0])
					e.m.Disconnected(e.now, d.ID)
				}
				e.advance(time.Second)
			}
			if string(got) != string(tc.want) {
				t.Fatalf("closed %v, want %v", got, tc.want)
			}
			if n := e.m.Stats().SlowTrims; n != uint64(len(tc.want)) {
				t.Fatalf("SlowTrims %d, want %d", n, len(tc.want))
			}
		})
	}
}
