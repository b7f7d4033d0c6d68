package router

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/gwyh/gwyh/rpc"
)

// The id memo gives a duplicate copy's content id without SHA-256, and
// only when the cached body has the same topic and data: every id it gives
// is the one contentID computes, whatever sits in its slot.
func TestIDMemoExact(t *testing.T) {
	contentEnv := func(t *testing.T) *env {
		e := newJoinedEnv(t, func(c *Config) { c.AppendMessageID = nil }, 3)
		e.addPeers(4, 4, Inbound, "u")
		if err := e.r.Join(e.now, "u"); err != nil {
			t.Fatal(err)
		}
		e.ready()
		return e
	}
	data := func(b byte) []byte {
		d := make([]byte, 256)
		for i := range d {
			d[i] = b + byte(i)
		}
		return d
	}
	tests := []struct {
		name string
		// first is received from peer 1, then copy from peer 2.
		first, copy rpc.Message
		// spoil, when set, runs between the two.
		spoil    func(e *env, first rpc.Message)
		fromMemo bool
	}{
		{"a duplicate", rpc.Message{Topic: "t", Data: data(1)}, rpc.Message{Topic: "t", Data: data(1)}, nil, true},
		{"same data in another topic", rpc.Message{Topic: "t", Data: data(1)}, rpc.Message{Topic: "u", Data: data(1)}, nil, false},
		{"another message", rpc.Message{Topic: "t", Data: data(1)}, rpc.Message{Topic: "t", Data: data(2)}, nil, false},
		{"a colliding slot", rpc.Message{Topic: "t", Data: data(1)}, rpc.Message{Topic: "t", Data: data(2)}, func(e *env, first rpc.Message) {
			// The copy's slot and hash name the first message: its body
			// differs, so the copy is hashed.
			c := rpc.Message{Topic: "t", Data: data(2)}
			h := e.r.idMemo.hash(&c)
			ref := e.r.idMemo.slot(e.r.idMemo.hash(&first)).ref
			*e.r.idMemo.slot(h) = idMemoSlot{h: h, ref: ref}
		}, false},
		{"an evicted body", rpc.Message{Topic: "t", Data: data(1)}, rpc.Message{Topic: "t", Data: data(1)}, func(e *env, first rpc.Message) {
			for e.r.mcache.Len() > 0 {
				e.r.mcache.Shift()
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := contentEnv(t)
			e.rpcFrom(1, pub(tt.first))
			if tt.spoil != nil {
				tt.spoil(e, tt.first)
			}
			before := e.r.Stats().IDsFromMemo
			want := string(e.r.contentID(nil, &tt.copy))
			got := string(e.r.appendID(nil, &tt.copy))
			if got != want {
				t.Fatalf("id %x, want the content id %x", got, want)
			}
			if memo := e.r.Stats().IDsFromMemo > before; memo != tt.fromMemo {
				t.Fatalf("id from the memo: %v, want %v", memo, tt.fromMemo)
			}
		})
	}
}

// A custom id function leaves the memo out, and a duplicate handled end to
// end is counted as one, with its id from the memo.
func TestIDMemoInRouter(t *testing.T) {
	e := newJoinedEnv(t, nil, 3) // cheapID
	m := msg("t", 1, 256)
	e.rpcFrom(1, pub(m))
	e.rpcFrom(2, pub(m))
	if s := e.r.Stats(); s.IDsFromMemo != 0 || s.Duplicates != 1 {
		t.Fatalf("custom ids: %d from the memo, %d duplicates; want 0 and 1", s.IDsFromMemo, s.Duplicates)
	}
	e = newJoinedEnv(t, func(c *Config) { c.AppendMessageID = nil }, 3)
	e.rpcFrom(1, pub(m))
	e.rpcFrom(2, pub(m))
	e.rpcFrom(3, pub(m))
	if s := e.r.Stats(); s.IDsFromMemo != 2 || s.Duplicates != 2 || s.Delivered != 1 {
		t.Fatalf("content ids: %d from the memo, %d duplicates, %d delivered; want 2, 2, 1", s.IDsFromMemo, s.Duplicates, s.Delivered)
	}
	// Published messages are remembered too.
	id, err := e.publish("t", msg("t", 2, 256).Data)
	if err != nil {
		t.Fatal(err)
	}
	e.rpcFrom(1, pub(msg("t", 2, 256)))
	if s := e.r.Stats(); s.IDsFromMemo != 3 || s.Duplicates != 3 {
		t.Fatalf("a copy of our own %x: %d from the memo, %d duplicates; want 3 and 3", id, s.IDsFromMemo, s.Duplicates)
	}
}

// The memo starts small and grows to idMemoSlots as messages come, keeping
// what it remembers when it grows: copies of the last messages (an eighth
// of its slots back) are found in it, but for the few whose slot a later
// message took (the hash's seed is random: at most half of them, with a
// wide margin; a memo that dropped its entries when it grew would find
// one).
func TestIDMemoGrows(t *testing.T) {
	for _, tt := range []struct {
		msgs, slots int
	}{
		{2 * idMemoFirst, idMemoFirst},
		{2*idMemoFirst + 1, 2 * idMemoFirst},
		{4 * idMemoSlots, idMemoSlots},
		{8 * idMemoSlots, idMemoSlots},
	} {
		e := newJoinedEnv(t, func(c *Config) { c.AppendMessageID = nil; c.Params.MessageCacheBytes = 1 << 24 }, 3)
		if n := len(e.r.idMemo.slots); n != idMemoFirst {
			t.Fatalf("a new memo has %d slots, want %d", n, idMemoFirst)
		}
		for i := range tt.msgs {
			e.rpcFrom(1, pub(msg("t", uint64(i), 64)))
		}
		if n := len(e.r.idMemo.slots); n != tt.slots {
			t.Errorf("after %d messages: %d slots, want %d", tt.msgs, n, tt.slots)
		}
		before := e.r.Stats().IDsFromMemo
		back := tt.slots / 8
		for i := tt.msgs - back; i < tt.msgs; i++ {
			e.rpcFrom(2, pub(msg("t", uint64(i), 64)))
		}
		if got := e.r.Stats().IDsFromMemo - before; got < uint64(back)/2 {
			t.Errorf("after %d messages: %d of the last %d copies had their id from the memo", tt.msgs, got, back)
		}
	}
}

// contentID is SHA-256 over the topic's length (uvarint), the topic and
// the data: peers of every version must agree on it. It allocates nothing
// once dst has room.
func TestContentIDFormat(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AppendMessageID = nil })
	for _, m := range []rpc.Message{
		{Topic: "t", Data: []byte("hello")},
		{Topic: string(make([]byte, 200)), Data: nil}, // a two-byte length
		{Topic: "", Data: []byte{1, 2, 3}},
	} {
		h := sha256.New()
		h.Write(binary.AppendUvarint(nil, uint64(len(m.Topic))))
		h.Write([]byte(m.Topic))
		h.Write(m.Data)
		if got, want := e.r.contentID(nil, &m), h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("topic of %d bytes: id %x, want %x", len(m.Topic), got, want)
		}
		dst := make([]byte, 0, sha256.Size)
		if n := testing.AllocsPerRun(50, func() { dst = e.r.contentID(dst[:0], &m) }); n != 0 {
			t.Fatalf("topic of %d bytes: contentID allocates %v times", len(m.Topic), n)
		}
	}
}
