package membership

import "encoding/binary"

// Push-pull (memberlist's anti-entropy, the SWIM paper's join): the sender's
// whole state, one entry per member it holds (self included, dead and left
// members while retained); with flag pushPullReply the receiver answers
// with its own state. Entries always carry metadata.

const pushPullReply = 0x01

func appendPushPull(dst []byte, reply bool, entries []update) []byte {
	var flags byte
	if reply {
		flags = pushPullReply
	}
	dst = append(dst, byte(kindPushPull), flags)
	dst = binary.AppendUvarint(dst, uint64(len(entries)))
	for i := range entries {
		dst = appendUpdate(dst, &entries[i])
	}
	return dst
}

func decodePushPull(r *reader, m *message, l limits) {
	flags := r.byte1("push-pull flags")
	if r.err == nil && flags&^pushPullReply != 0 {
		r.fail(malformed("push-pull flags %#x", flags))
		return
	}
	m.reply = flags&pushPullReply != 0
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
