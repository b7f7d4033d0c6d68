package node

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// maxBook bounds the address book (peers learnt by peer exchange).
const maxBook = 4096

// bookEntry is one dialable peer.
type bookEntry struct {
	target   target
	addr     netip.AddrPort // resolved when known
	kind     entryKind
	up       bool
	dialing  bool
	failures int
	nextTry  time.Time
	upSince  time.Time // when the current or last session came up
}

// stableSession is how long a session must last for its end to count as a
// normal disconnection (redial after DialBackoff, failures forgotten); a
// shorter one counts as a failed dial, so a peer that keeps ending our
// sessions at once (it is full, or it banned us) is redialled with a
// growing backoff.
const stableSession = 10 * time.Second

type entryKind uint8

const (
	kindLearnt    entryKind = iota // from peer exchange or a past connection
	kindBootstrap                  // Config.Bootstrap: dialled at start until it answers
	kindDirect                     // Config.Direct: always reconnected
)

// addrBook holds the peers the node may dial. It is owned by the event
// loop. Entries with a known ID are indexed by it; bootstrap and direct
// entries given as bare "host:port" are indexed by address until their
// first connection names them.
type addrBook struct {
	cfg     Config
	entries []*bookEntry
	byID    map[peer.ID]*bookEntry
	rng     *rand.Rand
}

func newAddrBook(cfg Config) *addrBook {
	b := &addrBook{cfg: cfg, byID: map[peer.ID]*bookEntry{}, rng: rand.New(rand.NewPCG(rand.Uint64(), 1))}
	add := func(list []string, kind entryKind) {
		for _, s := range list {
			t, err := parseTarget(s) // checked by Validate
			if err != nil {
				continue
			}
			e := &bookEntry{target: t, kind: kind}
			if ap, err := netip.ParseAddrPort(t.addr); err == nil {
				e.addr = unmap(ap)
			}
			b.entries = append(b.entries, e)
			if !t.id.IsZero() {
				b.byID[t.id] = e
			}
		}
	}
	add(cfg.Direct, kindDirect)
	add(cfg.Bootstrap, kindBootstrap)
	return b
}

// isDirect reports whether a peer is one of Config.Direct.
func (b *addrBook) isDirect(id peer.ID, addr netip.AddrPort) bool {
	if e := b.find(id, addr); e != nil {
		return e.kind == kindDirect
	}
	return false
}

// find returns the entry for id, or the unnamed one for addr.
func (b *addrBook) find(id peer.ID, addr netip.AddrPort) *bookEntry {
	if e := b.byID[id]; e != nil {
		return e
	}
	for _, e := range b.entries {
		if e.target.id.IsZero() && e.addr == addr && addr.IsValid() {
			return e
		}
	}
	return nil
}

// connected records a new connection, naming an unnamed entry.
func (b *addrBook) connected(id peer.ID, addr netip.AddrPort, now time.Time) {
	e := b.find(id, addr)
	if e == nil {
		if len(b.entries) >= maxBook {
			return
		}
		e = &bookEntry{target: target{id: id, addr: addr.String()}, addr: addr}
		b.entries = append(b.entries, e)
	}
	if e.target.id.IsZero() {
		e.target.id = id
	}
	b.byID[id] = e
	e.up, e.upSince = true, now
}

// disconnected marks a peer down; it may be redialled after a backoff,
// which grows if its sessions keep ending early (see stableSession).
func (b *addrBook) disconnected(id peer.ID, now time.Time) {
	e := b.byID[id]
	if e == nil {
		return
	}
	e.up = false
	if now.Sub(e.upSince) < stableSession {
		b.failed(e, now)
		return
	}
	e.failures = 0
	e.nextTry = now.Add(b.cfg.DialBackoff)
}

// holdOff keeps the peer manager from dialling id before until.
func (b *addrBook) holdOff(id peer.ID, until time.Time) {
	if e := b.byID[id]; e != nil && e.nextTry.Before(until) {
		e.nextTry = until
	}
}

// learn adds a peer suggested by peer exchange; record is its address.
func (b *addrBook) learn(id peer.ID, record string, now time.Time) {
	if b.byID[id] != nil || len(b.entries) >= maxBook {
		return
	}
	ap, err := netip.ParseAddrPort(record)
	if err != nil {
		return
	}
	e := &bookEntry{target: target{id: id, addr: record}, addr: unmap(ap), nextTry: now}
	b.entries = append(b.entries, e)
	b.byID[id] = e
}

// failed records a failed dial and schedules the next with backoff.
func (b *addrBook) failed(e *bookEntry, now time.Time) {
	e.failures++
	d := b.cfg.DialBackoff << min(e.failures-1, 16)
	d = min(d, b.cfg.MaxDialBackoff)
	// ±20% jitter so that a restarted cluster does not redial in step.
	d = time.Duration(float64(d) * (0.8 + 0.4*b.rng.Float64()))
	e.nextTry = now.Add(d)
}

// candidates returns entries to dial now: every direct and bootstrap peer
// that is down, and learnt peers up to want, at random.
// A learnt peer is dialled only by the smaller of the two IDs, unless
// desperate (too few peers to be choosy).
func (b *addrBook) candidates(now time.Time, want int, self peer.ID, desperate bool) []*bookEntry {
	var must, may []*bookEntry
	for _, e := range b.entries {
		if e.up || e.dialing || now.Before(e.nextTry) || e.target.id == self {
			continue
		}
		switch {
		case e.kind == kindDirect:
			must = append(must, e)
		case e.kind == kindBootstrap:
			must = append(must, e)
		case desperate || self.Compare(e.target.id) < 0:
			// Between two nodes that learnt of each other, the smaller ID
			// dials, so that they do not dial each other at once.
			may = append(may, e)
		}
	}
	b.rng.Shuffle(len(may), func(i, j int) { may[i], may[j] = may[j], may[i] })
	return append(must, may[:min(max(want, 0), len(may))]...)
}

// forget removes learnt entries that failed too often, keeping the book
// bounded by useful peers.
func (b *addrBook) forget() {
	b.entries = slices.DeleteFunc(b.entries, func(e *bookEntry) bool {
		if e.kind == kindLearnt && !e.up && !e.dialing && e.failures >= 5 {
			delete(b.byID, e.target.id)
			return true
		}
		return false
	})
}
