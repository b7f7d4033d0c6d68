package peering

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
)

// ErrConfig is returned (wrapped, with every problem found) by New for a
// Config that Validate rejects. No Manager is created.
var ErrConfig = errors.New("peering: invalid config")

// Defaults for the zero values of Config. They match node's defaults.
const (
	defaultMaxDialing     = 8
	defaultDialBackoff    = time.Second
	defaultMaxDialBackoff = time.Minute
	defaultStableSession  = 10 * time.Second
	defaultBanDuration    = time.Minute
	defaultInterval       = time.Second
	defaultMaxCandidates  = 4096
	defaultDialTimeout    = 30 * time.Second
)

// Config parameterises a Manager. It is copied by New; the Manager keeps
// the copy, and Rand, which it then owns.
type Config struct {
	// Low and High are the water marks of connected peers: the Manager
	// dials candidates while fewer than Low are connected, and trims down
	// to High while more than High are. 0 < Low ≤ High.
	Low, High int
	// MaxDialing bounds the dials in flight at once, direct peers and
	// seeds included. Zero means 8; ≥ 0.
	MaxDialing int
	// DialBackoff is the wait before retrying a candidate after its first
	// failed dial; it doubles per consecutive failure up to
	// MaxDialBackoff, with ±20% jitter. It is also the wait before
	// redialling a peer after a stable session ended. Zero means 1 s; ≥ 0.
	DialBackoff time.Duration
	// MaxDialBackoff caps the grown backoff. Zero means 1 min;
	// ≥ DialBackoff once both are defaulted.
	MaxDialBackoff time.Duration
	// StableSession is how long a session must last for its end to count
	// as a normal disconnection; a shorter one counts as a failed dial, so
	// a peer that keeps ending our sessions at once (it is full, or it
	// banned us) is redialled with a growing backoff. Zero means 10 s; ≥ 0.
	StableSession time.Duration
	// BanDuration is how long Ban, and a trim, keep a peer out: it is
	// neither dialled nor accepted. Zero means 1 min; ≥ 0.
	BanDuration time.Duration
	// Interval is the period of maintenance rounds (dial and trim
	// decisions); Output.Deadline is never later than the last Tick plus
	// Interval. Zero means 1 s; ≥ 0.
	Interval time.Duration
	// MaxCandidates bounds the learnt candidates (SourceMember and
	// SourceExchange). Seeds and direct peers come from configuration and
	// are not counted. Zero means 4096; ≥ 0.
	MaxCandidates int
	// DialTimeout is how long a dial may stay in flight without Connected
	// or DialFailed before the Manager counts it as failed and frees its
	// slot, so that a lost answer does not wedge it. Zero means 30 s; ≥ 0.
	DialTimeout time.Duration
	// Self is the local peer, never dialled nor accepted as a candidate
	// (the membership view lists it). Optional.
	Self peer.ID
	// Rand is the source of every random choice (dial picks, backoff
	// jitter). Required: seed it for reproducible runs.
	Rand *rand.Rand
	// Prefs is the strategy that orders dial candidates and what a trim
	// keeps, with the node's zone (the router's Params.Strategy, so that
	// sessions suit the meshes built on them). PreferLocal keeps
	// Prefs.Remote+1 cross-zone sessions, one more than the router's
	// cross-zone mesh peers per topic (a mesh grafts only among
	// sessions); HubAndSpoke one session per other zone; PreferFast has no
	// RTT before a session, so it dials at random but trims the slowest.
	// Zones come from Target.Zone and View.Placement. The zero value is
	// Uniform: random dials, no zone or RTT preference when trimming.
	Prefs mesh.Prefs
}

// Validate reports every problem of c at once, wrapping ErrConfig; nil
// when c (with its zero values defaulted) is usable.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Low <= 0 || c.High < c.Low {
		bad("water marks: want 0 < Low ≤ High (Low=%d High=%d)", c.Low, c.High)
	}
	if c.MaxDialing < 0 {
		bad("MaxDialing %d < 0", c.MaxDialing)
	}
	if c.MaxCandidates < 0 {
		bad("MaxCandidates %d < 0", c.MaxCandidates)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"DialBackoff", c.DialBackoff}, {"MaxDialBackoff", c.MaxDialBackoff},
		{"StableSession", c.StableSession}, {"BanDuration", c.BanDuration},
		{"Interval", c.Interval}, {"DialTimeout", c.DialTimeout},
	} {
		if d.v < 0 {
			bad("%s %v < 0", d.name, d.v)
		}
	}
	if d := c.withDefaults(); d.DialBackoff >= 0 && d.MaxDialBackoff < d.DialBackoff {
		bad("MaxDialBackoff %v < DialBackoff %v", d.MaxDialBackoff, d.DialBackoff)
	}
	if c.Rand == nil {
		bad("Rand is nil")
	}
	if err := c.Prefs.Validate(); err != nil {
		bad("Prefs: %w", err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	fill := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	fillD := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	fill(&c.MaxDialing, defaultMaxDialing)
	fill(&c.MaxCandidates, defaultMaxCandidates)
	fillD(&c.DialBackoff, defaultDialBackoff)
	fillD(&c.MaxDialBackoff, defaultMaxDialBackoff)
	fillD(&c.StableSession, defaultStableSession)
	fillD(&c.BanDuration, defaultBanDuration)
	fillD(&c.Interval, defaultInterval)
	fillD(&c.DialTimeout, defaultDialTimeout)
	return c
}
