package membership

import (
	"encoding/binary"
	"slices"

	"github.com/gwyh/gwyh/peer"
)

// Update: one member's state at one incarnation, the unit of SWIM's
// infection-style dissemination (alive, suspect, confirm/dead) plus left.

const (
	updateMeta = 0x01 // addr, zone and tags follow
	updateFrom = 0x02 // the accuser's ID follows
	// updateFresh marks a push-pull entry whose news the sender is still
	// spreading (it is in its broadcast queue): the receiver relays it as
	// if it came by gossip. Without it, when many nodes join at once,
	// those that learnt a joiner from a state exchange never relay it and
	// the epidemic misses some of the earlier joiners.
	updateFresh = 0x04

	// minUpdateSize is the smallest update: state, flags, id, incarnation.
	minUpdateSize = 2 + peer.IDSize + 1
	// minEntrySize is the smallest push-pull entry: an update with empty
	// metadata.
	minEntrySize = minUpdateSize + 3
)

// update is a decoded update; Tags is nil when there are none.
type update struct {
	state   State
	id      peer.ID
	inc     uint64
	from    peer.ID // accuser of a suspect or dead update; zero if unknown
	hasMeta bool
	fresh   bool // push-pull entries only: see updateFresh
	addr    string
	zone    string
	tags    map[string]string
}

// updateOf returns the update that announces m's current state, with its
// metadata when meta (always for alive).
func updateOf(m *Member, from peer.ID, meta bool) update {
	u := update{state: m.State, id: m.ID, inc: m.Incarnation, from: from}
	if meta || m.State == StateAlive {
		u.hasMeta, u.addr, u.zone, u.tags = true, m.Addr, m.Zone, m.Tags
	}
	return u
}

func appendUpdate(dst []byte, u *update) []byte {
	var flags byte
	if u.hasMeta {
		flags |= updateMeta
	}
	if !u.from.IsZero() {
		flags |= updateFrom
	}
	if u.fresh {
		flags |= updateFresh
	}
	dst = append(dst, byte(u.state), flags)
	dst = append(dst, u.id[:]...)
	dst = binary.AppendUvarint(dst, u.inc)
	if flags&updateFrom != 0 {
		dst = append(dst, u.from[:]...)
	}
	if u.hasMeta {
		dst = appendString(dst, u.addr)
		dst = appendString(dst, u.zone)
		dst = binary.AppendUvarint(dst, uint64(len(u.tags)))
		for _, k := range sortedKeys(u.tags) {
			dst = appendString(dst, k)
			dst = appendString(dst, u.tags[k])
		}
	}
	return dst
}

func decodeUpdate(r *reader, u *update, l limits) {
	u.state = State(r.byte1("update state"))
	flags := r.byte1("update flags")
	u.id = r.id("update id")
	u.inc = r.uvarint("update incarnation")
	if r.err != nil {
		return
	}
	if u.state > StateLeft {
		r.fail(malformed("update state %d", u.state))
		return
	}
	if flags&^(updateMeta|updateFrom|updateFresh) != 0 {
		r.fail(malformed("update flags %#x", flags))
		return
	}
	if u.id.IsZero() {
		r.fail(malformed("update about the zero ID"))
		return
	}
	if flags&updateFrom != 0 {
		u.from = r.id("update from")
	}
	u.hasMeta = flags&updateMeta != 0
	u.fresh = flags&updateFresh != 0
	if u.state == StateAlive && !u.hasMeta {
		r.fail(malformed("alive update without metadata"))
		return
	}
	if u.hasMeta {
		u.addr = r.str("addr", "MaxAddrLen", MaxAddrLen)
		u.zone = r.str("zone", "MaxZoneLen", MaxZoneLen)
		u.tags = decodeTags(r, l)
	}
}

func decodeTags(r *reader, l limits) map[string]string {
	n := r.count("tag count", "MaxTags", MaxTags, 2)
	if n == 0 {
		return nil
	}
	tags := make(map[string]string, n)
	total := 0
	for range n {
		k := r.str("tag key", "MaxTagKeyLen", MaxTagKeyLen)
		v := r.str("tag value", "MaxTagBytes", l.maxTagBytes)
		if r.err != nil {
			return nil
		}
		if _, dup := tags[k]; dup {
			r.fail(malformed("duplicate tag %q", k))
			return nil
		}
		if total += len(k) + len(v); total > l.maxTagBytes {
			r.fail(limitErr("MaxTagBytes", l.maxTagBytes, total))
			return nil
		}
		tags[k] = v
	}
	return tags
}

// checkTags checks tags against the limits the decoder applies.
func checkTags(tags map[string]string, maxTagBytes int) error {
	if len(tags) > MaxTags {
		return limitErr("MaxTags", MaxTags, len(tags))
	}
	total := 0
	for k, v := range tags {
		if len(k) > MaxTagKeyLen {
			return limitErr("MaxTagKeyLen", MaxTagKeyLen, len(k))
		}
		total += len(k) + len(v)
	}
	if total > maxTagBytes {
		return limitErr("MaxTagBytes", maxTagBytes, total)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
