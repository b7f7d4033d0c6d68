package mesh

import (
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// MessageCache is the mcache of gossipsub-v1.0.md: the messages of the
// last HistoryLength heartbeat windows, served to IWANT, of which the last
// HistoryGossip windows are advertised in IHAVE. It also counts how many
// times each message was served to each peer (the GossipRetransmission
// cap of v1.1). Entries live in a slab reused through a free list and the
// map holds only their index, so in steady state a Put allocates nothing
// and the map's rehashes move small values. The zero value is unusable;
// use NewMessageCache. Not safe for concurrent use.
type MessageCache struct {
	msgs    map[string]int32 // id → index in slab
	slab    []cacheEntry
	free    []int32
	windows [][]windowEntry // windows[0] is the newest
	gossip  int
}

type cacheEntry struct {
	msg  rpc.Message
	sent []sentCount
}

type sentCount struct {
	p peer.ID
	n int
}

type windowEntry struct {
	id, topic string
	idx       int32 // slab index of this Put
}

// NewMessageCache returns a cache of history windows, gossip of which are
// advertised (1 ≤ gossip ≤ history).
func NewMessageCache(history, gossip int) *MessageCache {
	return &MessageCache{
		msgs:    make(map[string]int32),
		windows: make([][]windowEntry, history),
		gossip:  gossip,
	}
}

// Put adds m under id to the newest window, in one map write. Putting an
// id already cached replaces its message and retransmission counts; the
// earlier copy's memory is reclaimed when its window leaves. The cache
// keeps m's memory: it must not be modified afterwards.
func (c *MessageCache) Put(id string, m *rpc.Message) {
	var i int32
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
		c.slab[i].msg = *m
	} else {
		i = int32(len(c.slab))
		c.slab = append(c.slab, cacheEntry{msg: *m})
	}
	c.msgs[id] = i
	c.windows[0] = append(c.windows[0], windowEntry{id: id, topic: m.Topic, idx: i})
}

// Get returns the message cached under id. The pointer is valid until the
// next Put or Shift.
func (c *MessageCache) Get(id string) (*rpc.Message, bool) {
	i, ok := c.msgs[id]
	if !ok {
		return nil, false
	}
	return &c.slab[i].msg, true
}

// Has reports whether id is cached.
func (c *MessageCache) Has(id string) bool {
	_, ok := c.msgs[id]
	return ok
}

// GetForPeer returns the message cached under id for serving to p, and how
// many times it has now been served to p, this time included.
func (c *MessageCache) GetForPeer(id string, p peer.ID) (m rpc.Message, count int, ok bool) {
	i, ok := c.msgs[id]
	if !ok {
		return rpc.Message{}, 0, false
	}
	e := &c.slab[i]
	for k := range e.sent {
		if e.sent[k].p == p {
			e.sent[k].n++
			return e.msg, e.sent[k].n, true
		}
	}
	e.sent = append(e.sent, sentCount{p: p, n: 1})
	return e.msg, 1, true
}

// GossipIDs appends to dst the ids of topic's messages in the gossip
// windows, newest window first, and returns the extended slice.
func (c *MessageCache) GossipIDs(dst []string, topic string) []string {
	for _, w := range c.windows[:c.gossip] {
		for _, e := range w {
			if e.topic == topic {
				dst = append(dst, e.id)
			}
		}
	}
	return dst
}

// Shift starts a new window, forgetting the messages of the oldest.
func (c *MessageCache) Shift() {
	last := c.windows[len(c.windows)-1]
	for _, e := range last {
		// The map entry is this Put's unless a later Put replaced it.
		if i, ok := c.msgs[e.id]; ok && i == e.idx {
			delete(c.msgs, e.id)
		}
		c.slab[e.idx] = cacheEntry{sent: c.slab[e.idx].sent[:0]}
		c.free = append(c.free, e.idx)
	}
	clear(last)
	copy(c.windows[1:], c.windows[:len(c.windows)-1])
	c.windows[0] = last[:0]
}

// Len returns the number of messages cached.
func (c *MessageCache) Len() int { return len(c.msgs) }
