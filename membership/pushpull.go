package membership

import "encoding/binary"

// Push-pull (memberlist's anti-entropy, the SWIM paper's join): the sender's
// whole state, one entry per member it holds (self included, dead and left
// members while retained); with flag pushPullReply the receiver answers
// with its own state. Entries always carry metadata.
//
// A join (pushPullJoin) is answered with a sample instead (pushPullPartial:
// the answerer and up to joinSample random up members), and the joiner
// then exchanges whole states with one member of the sample at random. A
// seed that many nodes join at once thus sends each a few kilobytes, not
// its whole member list, and the whole lists come from random members. A
// join request with no entries asks only who the receiver is (a member
// heard from a stranger): it is answered with the receiver's own entry.

const (
	pushPullReply   = 0x01
	pushPullJoin    = 0x02
	pushPullPartial = 0x04

	// joinSample is how many members besides itself a seed names in its
	// answer to a join.
	joinSample = 16
)

func appendPushPull(dst []byte, m *message) []byte {
	var flags byte
	if m.reply {
		flags |= pushPullReply
	}
	if m.join {
		flags |= pushPullJoin
	}
	if m.partial {
		flags |= pushPullPartial
	}
	entries := m.updates
	dst = append(dst, byte(kindPushPull), flags)
	dst = binary.AppendUvarint(dst, uint64(len(entries)))
	for i := range entries {
		dst = appendUpdate(dst, &entries[i])
	}
	return dst
}

func decodePushPull(r *reader, m *message, l limits) {
	flags := r.byte1("push-pull flags")
	if r.err == nil && flags&^(pushPullReply|pushPullJoin|pushPullPartial) != 0 {
		r.fail(malformed("push-pull flags %#x", flags))
		return
	}
	m.reply = flags&pushPullReply != 0
	m.join = flags&pushPullJoin != 0
	m.partial = flags&pushPullPartial != 0
	n := r.count("push-pull count", "MaxMembers", l.maxMembers, minEntrySize)
	if n == 0 {
		return
	}
	m.updates = make([]update, n)
	for i := range m.updates {
		u := &m.updates[i]
		decodeUpdate(r, u, l)
		if r.err == nil && !u.hasMeta {
			r.fail(malformed("push-pull entry without metadata"))
		}
	}
}
