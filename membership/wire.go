package membership

// Wire format of membership messages (version 1).
//
// A membership payload is rpc.AppendMembership(body): gwyh's RPC field 15
// holding one message body. A body is one kind byte followed by the kind's
// fields. Integers are unsigned varints (encoding/binary Uvarint); a member
// ID is its 32 raw bytes; a string is a varint length then its bytes.
//
//	ping      = 0x01 seq:varint target:id updates     (ping.go)
//	ack       = 0x02 seq:varint updates               (ack.go)
//	ping-req  = 0x03 seq:varint target:id addr:string updates (pingreq.go)
//	nack      = 0x04 seq:varint updates               (nack.go)
//	gossip    = 0x05 updates                          (gossip.go)
//	push-pull = 0x06 flags:byte count:varint update×count (pushpull.go)
//	updates   = count:varint update×count
//	update    = state:byte flags:byte id:id incarnation:varint
//	            [from:id]                          if flags&0x02
//	            [addr:string zone:string ntags:varint (key:string value:string)×ntags]
//	                                               if flags&0x01
//	                                               (update.go)
//
// The state byte is State (0 alive, 1 suspect, 2 dead, 3 left); an alive
// update always carries its metadata; "from" names who suspected or
// declared the member dead (Lifeguard counts independent confirmations).
// Push-pull flags: 0x01 asks for the receiver's state in reply. Every
// push-pull entry carries metadata.
//
// Decoding is O(bytes): every count is checked against the bytes left
// (each element has a minimum size) and against its limit before anything
// is allocated; a decoder error wraps ErrMalformed or is a *LimitError
// (ErrTooLarge). Trailing bytes, unknown kinds, states and flag bits,
// duplicate tag keys and non-UTF-8-agnostic garbage lengths are malformed.

import (
	"encoding/binary"
	"fmt"

	"github.com/gwyh/gwyh/peer"
)

// kind is a message's first byte.
type kind uint8

const (
	kindPing     kind = 1
	kindAck      kind = 2
	kindPingReq  kind = 3
	kindNack     kind = 4
	kindGossip   kind = 5
	kindPushPull kind = 6
)

// message is one decoded membership message; which fields are set depends
// on kind.
type message struct {
	kind    kind
	seq     uint64   // ping, ack, ping-req, nack
	target  peer.ID  // ping, ping-req
	addr    string   // ping-req: the target's address
	reply   bool     // push-pull: the sender wants our state back
	join    bool     // push-pull: the sender is joining (answer with a sample)
	partial bool     // push-pull: a sample, not the sender's whole state
	updates []update // piggybacked updates, or the push-pull state
}

// limits bound what decode accepts.
type limits struct {
	maxMembers  int // push-pull entries
	maxTagBytes int
}

func limitsOf(p *Params) limits { return limits{maxMembers: p.MaxMembers, maxTagBytes: p.MaxTagBytes} }

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// reader consumes a body; the first error sticks.
type reader struct {
	b   []byte
	err error
	// upd, when its capacity suffices, holds the piggybacked updates
	// (not a push-pull state) instead of a new slice.
	upd []update
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte1(what string) byte {
	if len(r.b) < 1 {
		r.fail(malformed("short %s", what))
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(malformed("bad varint %s", what))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) id(what string) (id peer.ID) {
	if len(r.b) < len(id) {
		r.fail(malformed("short %s", what))
		return id
	}
	copy(id[:], r.b)
	r.b = r.b[len(id):]
	// Nobody can prove a small-order or non-canonical ID in a handshake
	// (anyone could sign for it), so no real member has one: an entry
	// naming one is forged, and refused with its message.
	if err := id.Check(); err != nil {
		r.fail(malformed("%s: %v", what, err))
	}
	return id
}

// count reads a count of elements of at least minSize bytes each, bounded
// by max (named limit; max < 0: no limit but the bytes left).
func (r *reader) count(what, limit string, max, minSize int) int {
	v := r.uvarint(what)
	if r.err != nil {
		return 0
	}
	if max >= 0 && v > uint64(max) {
		r.fail(limitErr(limit, max, clampInt(v)))
		return 0
	}
	if v > uint64(len(r.b)/minSize) {
		r.fail(malformed("%s %d exceeds the bytes left", what, v))
		return 0
	}
	return int(v)
}

// str reads a string of at most max bytes (limit names it).
func (r *reader) str(what, limit string, max int) string {
	v := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if v > uint64(max) {
		r.fail(limitErr(limit, max, clampInt(v)))
		return ""
	}
	if v > uint64(len(r.b)) {
		r.fail(malformed("short %s", what))
		return ""
	}
	s := string(r.b[:v])
	r.b = r.b[v:]
	return s
}

func clampInt(v uint64) int {
	if v > 1<<31 {
		return 1 << 31
	}
	return int(v)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// decode decodes one message body.
func decode(body []byte, l limits) (message, error) { return decodeInto(body, l, nil) }

// decodeInto is decode with buf's memory for the piggybacked updates when
// they fit (the Membership's decode buffer: a message's updates are not
// kept after it is handled).
func decodeInto(body []byte, l limits, buf []update) (message, error) {
	r := reader{b: body, upd: buf}
	var m message
	m.kind = kind(r.byte1("kind"))
	switch m.kind {
	case kindPing:
		decodePing(&r, &m, l)
	case kindAck:
		decodeAck(&r, &m, l)
	case kindPingReq:
		decodePingReq(&r, &m, l)
	case kindNack:
		decodeNack(&r, &m, l)
	case kindGossip:
		decodeGossip(&r, &m, l)
	case kindPushPull:
		decodePushPull(&r, &m, l)
	default:
		if r.err == nil {
			r.fail(malformed("unknown kind %d", m.kind))
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(malformed("%d trailing bytes", len(r.b)))
	}
	if r.err != nil {
		return message{}, r.err
	}
	return m, nil
}

// encode appends m's body to dst (the tests' and fuzzer's encoder; the
// Membership packs piggybacked updates with appendHeader and packUpdates).
func encode(dst []byte, m *message) []byte {
	if m.kind == kindPushPull {
		return appendPushPull(dst, m)
	}
	dst = appendHeader(dst, m)
	dst = binary.AppendUvarint(dst, uint64(len(m.updates)))
	for i := range m.updates {
		dst = appendUpdate(dst, &m.updates[i])
	}
	return dst
}

// appendHeader appends the fields of m before its updates.
func appendHeader(dst []byte, m *message) []byte {
	switch m.kind {
	case kindPing:
		return appendPing(dst, m.seq, m.target)
	case kindAck:
		return appendAck(dst, m.seq)
	case kindPingReq:
		return appendPingReq(dst, m.seq, m.target, m.addr)
	case kindNack:
		return appendNack(dst, m.seq)
	case kindGossip:
		return append(dst, byte(kindGossip))
	}
	panic("membership: appendHeader of kind " + fmt.Sprint(m.kind))
}

// decodeUpdates reads a piggybacked updates section.
func decodeUpdates(r *reader, m *message, l limits) {
	n := r.count("update count", "", -1, minUpdateSize)
	if n == 0 {
		return
	}
	if cap(r.upd) >= n {
		m.updates = r.upd[:n]
		clear(m.updates)
	} else {
		m.updates = make([]update, n)
	}
	for i := range m.updates {
		decodeUpdate(r, &m.updates[i], l)
	}
}
