package mesh

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Strategy decides which of several eligible peers a node prefers: for
// its meshes (grafts, what an oversubscribed mesh keeps, opportunistic
// grafts), gossip targets, fan-out, the order of a publisher's first
// copies, and the peer manager's dials and trims. A strategy only orders
// peers that the protocol's own rules already allow: score, backoff,
// thresholds and the Dscore and Dout quotas come first, always.
type Strategy uint8

const (
	// Uniform picks among eligible peers at random, as GossipSub does.
	Uniform Strategy = iota
	// PreferLocal picks peers of the node's own zone first, but always
	// keeps Prefs.Remote peers of other zones among those chosen, so that
	// a topic never splits along zone lines.
	PreferLocal
	// HubAndSpoke picks one peer in each other zone and the rest in the
	// node's own zone.
	HubAndSpoke
	// PreferFast picks the peers with the lowest round-trip time, except
	// for a random share (Prefs.RandomShare) picked at random so that a
	// peer that answers fastest cannot take every place.
	PreferFast
)

var strategyNames = [...]string{"uniform", "preferlocal", "hubandspoke", "preferfast"}

// Strategies lists every strategy, in order.
func Strategies() []Strategy { return []Strategy{Uniform, PreferLocal, HubAndSpoke, PreferFast} }

// ErrStrategy is wrapped by ParseStrategy's and Prefs.Validate's errors.
var ErrStrategy = errors.New("mesh: invalid strategy")

// String returns the strategy's lower-case name ("uniform",
// "preferlocal", "hubandspoke", "preferfast").
func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("strategy(%d)", uint8(s))
}

// ParseStrategy returns the strategy named name, ignoring case, '-' and
// '_' ("PreferLocal", "prefer-local" and "preferlocal" are one).
func ParseStrategy(name string) (Strategy, error) {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	for i, s := range strategyNames {
		if n == s {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want one of %s)", ErrStrategy, name, strings.Join(strategyNames[:], ", "))
}

// MarshalText returns the strategy's name.
func (s Strategy) MarshalText() ([]byte, error) {
	if int(s) >= len(strategyNames) {
		return nil, fmt.Errorf("%w: %d", ErrStrategy, uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses a name as ParseStrategy does.
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := ParseStrategy(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Placed is what a strategy knows of one peer: its zone and its measured
// round-trip time.
type Placed struct {
	ID peer.ID
	// Zone is the peer's zone label; "" when unknown. A peer is local when
	// its zone equals the node's own (two empty zones are equal).
	Zone string
	// RTT is the smoothed round-trip time; zero when not measured yet
	// (ranked after every measured peer by PreferFast).
	RTT time.Duration
}

// Prefs are a strategy with the node's place and the strategy's
// parameters. The zero value is Uniform.
type Prefs struct {
	Strategy Strategy
	// Zone is the node's own zone.
	Zone string
	// Remote is how many peers of other zones PreferLocal keeps among the
	// chosen ones (counting those already chosen); ≥ 1 for PreferLocal.
	Remote int
	// RandomShare is the share of PreferFast's picks made at random
	// rather than by RTT, in [0, 1]. Zero lets the fastest peers take
	// every place: only for networks without attackers.
	RandomShare float64
}

// Validate reports what is wrong with p, wrapping ErrStrategy.
func (p Prefs) Validate() error {
	var errs []error
	if int(p.Strategy) >= len(strategyNames) {
		errs = append(errs, fmt.Errorf("%w: unknown strategy %d", ErrStrategy, uint8(p.Strategy)))
	}
	if p.Strategy == PreferLocal && p.Remote < 1 {
		errs = append(errs, fmt.Errorf("%w: PreferLocal needs Remote ≥ 1 (got %d), or a topic can split along zone lines", ErrStrategy, p.Remote))
	}
	if p.Remote < 0 {
		errs = append(errs, fmt.Errorf("%w: Remote %d < 0", ErrStrategy, p.Remote))
	}
	if !(p.RandomShare >= 0 && p.RandomShare <= 1) {
		errs = append(errs, fmt.Errorf("%w: RandomShare %v not in [0, 1]", ErrStrategy, p.RandomShare))
	}
	return errors.Join(errs...)
}

// Local reports whether a peer in zone is in the node's own zone.
func (p *Prefs) Local(zone string) bool { return zone == p.Zone }

// Pick chooses k of cands in the strategy's order of preference, given
// the peers already chosen (have: the rest of a mesh, the sessions
// already up), moves them to the front of cands and returns cands[:k]
// (all of cands when k ≥ len(cands), none when k ≤ 0). The picks are in
// preference order, best first. cands' other elements stay in cands in
// some order. Randomness comes only from rng; for the same inputs and rng
// state the result is the same.
//
//   - Uniform: k at random.
//   - PreferLocal: peers of other zones at random while fewer than Remote
//     of have and the picks are remote, then local peers at random, then
//     the other remote peers at random.
//   - HubAndSpoke: one peer of each other zone that have lacks (zones in
//     random order), then local peers at random, then the other remote
//     peers at random.
//   - PreferFast: of the k picks, RandomShare × k on average are made at
//     random among the candidates left (floor, plus one with the
//     fraction's probability); the others take the lowest RTT left, peers
//     without an RTT last. Each pick is random or fast at random, so the
//     random ones are not always the last.
func (p *Prefs) Pick(have, cands []Placed, k int, rng *rand.Rand) []Placed {
	k = min(max(k, 0), len(cands))
	if k == 0 {
		return cands[:0]
	}
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	switch p.Strategy {
	case PreferLocal:
		need := p.Remote
		for _, h := range have {
			if !p.Local(h.Zone) {
				need--
			}
		}
		// Rank 0: the remote peers still needed; 1: local; 2: other remote.
		rank := make([]int8, len(cands))
		for i, c := range cands {
			switch {
			case p.Local(c.Zone):
				rank[i] = 1
			case need > 0:
				need--
			default:
				rank[i] = 2
			}
		}
		sortByRank(cands, rank)
	case HubAndSpoke:
		covered := make(map[string]bool, len(have))
		for _, h := range have {
			if !p.Local(h.Zone) {
				covered[h.Zone] = true
			}
		}
		rank := make([]int8, len(cands))
		for i, c := range cands {
			switch {
			case p.Local(c.Zone):
				rank[i] = 1
			case !covered[c.Zone]:
				covered[c.Zone] = true
			default:
				rank[i] = 2
			}
		}
		sortByRank(cands, rank)
	case PreferFast:
		slices.SortStableFunc(cands, func(a, b Placed) int { return cmp.Compare(rttKey(a.RTT), rttKey(b.RTT)) })
		want := p.RandomShare * float64(k)
		random := int(want)
		if rng.Float64() < want-float64(random) {
			random++
		}
		// Spread the random picks over the k places: place i is random
		// with probability (random left)/(places left).
		for i := 0; i < k && random > 0; i++ {
			if rng.IntN(k-i) >= random {
				continue
			}
			random--
			j := i + rng.IntN(len(cands)-i)
			c := cands[j]
			copy(cands[i+1:j+1], cands[i:j])
			cands[i] = c
		}
	}
	return cands[:k]
}

// rttKey orders measured RTTs first, ascending.
func rttKey(d time.Duration) int64 {
	if d <= 0 {
		return math.MaxInt64
	}
	return int64(d)
}

// sortByRank stable-sorts cands by rank[i], the rank of cands[i].
func sortByRank(cands []Placed, rank []int8) {
	idx := make([]int, len(cands))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rank[a], rank[b]) })
	sorted := make([]Placed, len(cands))
	for i, j := range idx {
		sorted[i] = cands[j]
	}
	copy(cands, sorted)
}

// InRandomShare reports whether id is in PreferFast's random share: a draw
// of probability RandomShare per peer, keyed by key (a secret the caller
// draws once from its seeded source), so that the share is stable for a
// peer and no one else can tell which peers are in it. Peers in the share
// are never dropped for being slow.
func (p *Prefs) InRandomShare(key uint64, id peer.ID) bool {
	h := key
	for i := 0; i < len(id); i += 8 {
		h = mix64(h ^ binary.LittleEndian.Uint64(id[i:]))
	}
	return float64(h>>11)/(1<<53) < p.RandomShare
}

// mix64 is the splitmix64 finaliser (Steele et al., "Fast splittable
// pseudorandom number generators").
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
