package peering

import (
	"cmp"

	"github.com/gwyh/gwyh/peer"
)

// Source says where a candidate came from. Higher sources outrank lower
// ones: a candidate offered by two sources keeps the higher.
type Source uint8

// The sources, lowest rank first.
const (
	// SourceExchange is a peer learnt second-hand: a GossipSub PRUNE peer
	// exchange record, a LAN discovery beacon, or a past inbound session.
	// Evicted first when the candidate table is full, unless our own dial
	// verified its address.
	SourceExchange Source = iota
	// SourceMember is an alive member of the membership view.
	SourceMember
	// SourceSeed is a Config.Bootstrap entry: dialled at start and retried
	// with backoff until it answers once; afterwards an ordinary candidate.
	// Never evicted.
	SourceSeed
	// SourceDirect is an explicit peer (GossipSub v1.1 explicit peering):
	// always redialled when down, never trimmed, never banned, never
	// evicted.
	SourceDirect
)

// String returns the source's lower-case name.
func (s Source) String() string {
	switch s {
	case SourceExchange:
		return "exchange"
	case SourceMember:
		return "member"
	case SourceSeed:
		return "seed"
	case SourceDirect:
		return "direct"
	}
	return "unknown"
}

// A Target names whom to dial. ID may be zero for a seed or direct peer
// given as a bare "host:port": its ID is learnt when a session with it
// comes up (Manager.Connected). Addr is passed through as given; the
// Manager compares addresses as strings and never resolves them.
//
// A target's identity is its ID and Addr: the Manager compares targets
// with Same, never ==, so that a DialFailed without a zone matches the
// dial it started with one.
type Target struct {
	ID   peer.ID
	Addr string
	// Zone is the peer's zone label as the source knows it (membership
	// metadata, configuration); "" when unknown. It is not part of the
	// target's identity. The candidate table keeps the latest zone
	// offered for an entry, for Config.Prefs: an empty zone never erases
	// a known one, and a second-hand record (SourceExchange) never
	// changes the known zone of a member, seed or direct peer.
	Zone string
}

// Same reports whether t and u name the same target: the same ID and
// address, whatever their zones.
func (t Target) Same(u Target) bool { return t.ID == u.ID && t.Addr == u.Addr }

// String returns "id@addr", or the bare addr when the ID is zero.
func (t Target) String() string {
	if t.ID.IsZero() {
		return t.Addr
	}
	return t.ID.Short() + "@" + t.Addr
}

// compareTargets orders targets by ID, then by address.
func compareTargets(a, b Target) int {
	if c := a.ID.Compare(b.ID); c != 0 {
		return c
	}
	return cmp.Compare(a.Addr, b.Addr)
}
