package peering

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// t0 is the start of every test's fake clock.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// pid returns a test peer ID.
func pid(b byte) peer.ID { return peer.ID{b} }

// member returns the target of test peer b at a fake address.
func member(b byte) Target { return Target{ID: pid(b), Addr: fmt.Sprintf("10.0.0.%d:7946", b)} }

// testConfig is a small valid config.
func testConfig(seed uint64) Config {
	return Config{Low: 3, High: 6, Rand: rand.New(rand.NewPCG(seed, 1))}
}

// env drives one Manager on a fake clock.
type env struct {
	t   *testing.T
	m   *Manager
	now time.Time
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, m: m, now: t0}
}

// advance moves the clock.
func (e *env) advance(d time.Duration) { e.now = e.now.Add(d) }

// tick runs a round and drains the output.
func (e *env) tick(v View) Output {
	e.m.Tick(e.now, v)
	return e.drain()
}

// drain copies and acknowledges the pending output.
func (e *env) drain() Output {
	if !e.m.HasReady() {
		return Output{Deadline: e.m.Ready().Deadline}
	}
	o := *e.m.Ready()
	o.Dials = slices.Clone(o.Dials)
	o.Disconnects = slices.Clone(o.Disconnects)
	e.m.Advance()
	return o
}

// connect reports a session with t (dialled by us if outbound).
func (e *env) connect(t Target, outbound bool) bool {
	return e.m.Connected(e.now, t.ID, t.Addr, outbound)
}

// dialed returns the dials' targets, compactly: "01@10.0.0.1:7946" for
// peer 1, the bare address for a zero ID.
func dialed(o Output) string {
	var s []string
	for _, d := range o.Dials {
		if d.Target.ID.IsZero() {
			s = append(s, d.Target.Addr)
			continue
		}
		s = append(s, fmt.Sprintf("%02x/%s", d.Target.ID[0], d.Source))
	}
	return strings.Join(s, " ")
}

// peerID is peer.ID, short for tables.
type peerID = peer.ID

// fakeView is an in-memory View.
type fakeView struct {
	score     map[peer.ID]float64
	protected map[peer.ID]bool
	stale     map[peer.ID]bool
	placement map[peer.ID]mesh.Placed
}

var _ View = (*fakeView)(nil)

func (v *fakeView) Score(p peer.ID) float64  { return v.score[p] }
func (v *fakeView) Protected(p peer.ID) bool { return v.protected[p] }
func (v *fakeView) Stale(p peer.ID) bool     { return v.stale[p] }
func (v *fakeView) Placement(p peer.ID) mesh.Placed {
	if pl, ok := v.placement[p]; ok {
		return pl
	}
	return mesh.Placed{ID: p}
}
