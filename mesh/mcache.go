package mesh

import (
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// EntryOverhead is what the message cache charges for one message beside
// its id and body bytes: about what its slab entry (112 bytes), index slot
// (11 to 21 as the index fills) and window entry (8) take.
const EntryOverhead = 128

// MessageCache is the mcache of gossipsub-v1.0.md: the messages of the
// last HistoryLength heartbeat windows, served to IWANT, of which the last
// HistoryGossip windows are advertised in IHAVE. It also counts how many
// times each message was served to each peer (the GossipRetransmission
// cap of v1.1).
//
// It is bounded by bytes: each message costs its id, its body (From, Data,
// Seqno, Signature and Key, copied by Put into one right-sized
// allocation, so that a cached message pins no received payload) and
// EntryOverhead. Over the budget, the oldest bodies are evicted first.
// An evicted message is no longer advertised, and its id stays until its
// window leaves so that an IWANT for it is told apart from one for an
// unknown id (Evicted); but the ids kept so take at most a quarter of the
// budget, the oldest forgotten first, so that under a flood the budget
// goes to the newest bodies. (The windows keep 8 bytes per Put until they
// leave, and the slab the size of the most entries held at once, at most
// budget/EntryOverhead.)
//
// Entries live in a slab reused through a free list and the index
// (idIndex) holds only their slab index. The zero value is unusable; use
// NewMessageCache. Not safe for concurrent use.
type MessageCache struct {
	ids     idIndex // id → index in slab
	slab    []cacheEntry
	free    []int32
	windows []cacheWindow // windows[0] is the newest
	gossip  int
	budget  int // bytes; ≤ 0: unbounded
	bytes   int // charged now
	bare    int // of which for ids whose bodies were evicted
	evicted uint64
}

// cacheEntry is one message: its body is buf, From, Data, Seqno and
// Signature ending at ends[0..3] and Key the rest.
type cacheEntry struct {
	id, topic string
	buf       []byte
	served    []sentCount // times served, per peer (GetForPeer)
	ends      [4]uint32
	hash      uint32 // of id, in ids
	gen       uint32 // bumped when the slot is freed, so that stale window entries are told apart
	held      bool   // buf is the body (false once evicted)
}

// cacheWindow is one heartbeat's Puts, in order. Its entries before cut
// have no body (evicted, or replaced since); before drop, no id either.
type cacheWindow struct {
	entries   []windowEntry
	cut, drop int
}

type sentCount struct {
	p peer.ID
	n int
}

type windowEntry struct {
	idx int32  // slab index of this Put
	gen uint32 // the slot's gen at this Put
}

// NewMessageCache returns a cache of history windows, gossip of which are
// advertised (1 ≤ gossip ≤ history), holding at most budget bytes
// (budget ≤ 0: unbounded).
func NewMessageCache(history, gossip, budget int) *MessageCache {
	return &MessageCache{
		ids:     newIDIndex(),
		windows: make([]cacheWindow, history),
		gossip:  gossip,
		budget:  budget,
	}
}

// Put adds m under id to the newest window, copying its body, and returns
// the copy: a message whose byte fields alias the cache's allocation, to
// be used in m's place so that m's memory can go (the caller must not
// modify it). Putting an id already cached replaces its message and
// retransmission counts. A message that alone would be over the budget is
// not cached (counted as evicted; its id is not kept either) and Put
// returns *m.
func (c *MessageCache) Put(id string, m *rpc.Message) rpc.Message {
	cm, _ := c.PutRef(id, m)
	return cm
}

// CacheRef names one Put of a MessageCache; see ByRef.
type CacheRef struct {
	idx int32
	gen uint32
}

// PutRef is Put that also returns a reference to the entry, with which
// ByRef finds it again without looking its id up (one ByRef never finds
// if m was not cached).
func (c *MessageCache) PutRef(id string, m *rpc.Message) (rpc.Message, CacheRef) {
	h := c.ids.hash(id)
	if i, ok := c.ids.find(c.slab, id, h); ok {
		c.remove(i)
	}
	n := len(m.From) + len(m.Data) + len(m.Seqno) + len(m.Signature) + len(m.Key)
	if c.budget > 0 && len(id)+n+EntryOverhead > c.budget {
		c.evicted++
		return *m, CacheRef{idx: -1}
	}
	e := cacheEntry{id: id, topic: m.Topic, hash: h, held: true, buf: make([]byte, 0, n)}
	e.buf = append(e.buf, m.From...)
	e.ends[0] = uint32(len(e.buf))
	e.buf = append(e.buf, m.Data...)
	e.ends[1] = uint32(len(e.buf))
	e.buf = append(e.buf, m.Seqno...)
	e.ends[2] = uint32(len(e.buf))
	e.buf = append(e.buf, m.Signature...)
	e.ends[3] = uint32(len(e.buf))
	e.buf = append(e.buf, m.Key...)
	copied := e.message() // before trim, which may evict it
	var i int32
	if k := len(c.free); k > 0 {
		i, c.free = c.free[k-1], c.free[:k-1]
		e.gen = c.slab[i].gen
		c.slab[i] = e
	} else {
		i = int32(len(c.slab))
		c.slab = append(c.slab, e)
	}
	c.ids.add(h, i)
	c.bytes += e.cost()
	w := &c.windows[0]
	w.entries = append(w.entries, windowEntry{idx: i, gen: e.gen})
	c.trim()
	return copied, CacheRef{idx: i, gen: e.gen}
}

// ByRef returns the id and message of the Put r names, if that entry
// still holds its body (its byte fields alias the cache's memory, read
// only); false once it was evicted, removed or replaced.
func (c *MessageCache) ByRef(r CacheRef) (string, rpc.Message, bool) {
	if r.idx < 0 || int(r.idx) >= len(c.slab) {
		return "", rpc.Message{}, false
	}
	e := &c.slab[r.idx]
	if e.gen != r.gen || !e.held {
		return "", rpc.Message{}, false
	}
	return e.id, e.message(), true
}

// cost is what e is charged: its id, body (when held) and EntryOverhead.
func (e *cacheEntry) cost() int { return len(e.id) + len(e.buf) + EntryOverhead }

// message returns e's message, its byte fields aliasing e.buf (capped, so
// that an append cannot write over the next field); empty fields are nil.
func (e *cacheEntry) message() rpc.Message {
	field := func(lo, hi uint32) []byte {
		if lo == hi {
			return nil
		}
		return e.buf[lo:hi:hi]
	}
	end := uint32(len(e.buf))
	return rpc.Message{
		From:      field(0, e.ends[0]),
		Data:      field(e.ends[0], e.ends[1]),
		Seqno:     field(e.ends[1], e.ends[2]),
		Topic:     e.topic,
		Signature: field(e.ends[2], e.ends[3]),
		Key:       field(e.ends[3], end),
	}
}

// live reports whether w is the Put that the slot still holds.
func (c *MessageCache) live(w windowEntry) bool { return c.slab[w.idx].gen == w.gen }

// remove forgets the entry in slot i, body and id.
func (c *MessageCache) remove(i int32) {
	e := &c.slab[i]
	c.bytes -= e.cost()
	if !e.held {
		c.bare -= e.cost()
	}
	c.ids.remove(e.hash, i)
	*e = cacheEntry{gen: e.gen + 1}
	c.free = append(c.free, i)
}

// trim evicts the oldest bodies until the cache is within its budget,
// forgetting the oldest evicted ids while they take over a quarter of it.
func (c *MessageCache) trim() {
	for c.budget > 0 {
		switch {
		case c.bare > c.budget/4:
			if !c.dropOldestID() {
				panic("mesh: message cache: evicted ids counted but none found")
			}
		case c.bytes <= c.budget:
			return
		case !c.evictOldestBody() && !c.dropOldestID():
			return
		}
	}
}

// evictOldestBody evicts the oldest body held and reports whether there
// was one.
func (c *MessageCache) evictOldestBody() bool {
	for k := len(c.windows) - 1; k >= 0; k-- {
		w := &c.windows[k]
		for w.cut < len(w.entries) {
			we := w.entries[w.cut]
			w.cut++
			if e := &c.slab[we.idx]; c.live(we) && e.held {
				c.bytes -= len(e.buf)
				e.buf, e.served, e.held = nil, nil, false
				c.bare += e.cost()
				c.evicted++
				return true
			}
		}
	}
	return false
}

// dropOldestID forgets the oldest id whose body is gone and reports
// whether there was one.
func (c *MessageCache) dropOldestID() bool {
	for k := len(c.windows) - 1; k >= 0; k-- {
		w := &c.windows[k]
		for w.drop < w.cut {
			we := w.entries[w.drop]
			w.drop++
			if c.live(we) {
				c.remove(we.idx)
				return true
			}
		}
	}
	return false
}

// Get returns the message cached under id, its byte fields aliasing the
// cache's memory (read only); false when id is unknown or its body was
// evicted.
func (c *MessageCache) Get(id string) (rpc.Message, bool) {
	i, ok := c.ids.find(c.slab, id, c.ids.hash(id))
	if !ok || !c.slab[i].held {
		return rpc.Message{}, false
	}
	return c.slab[i].message(), true
}

// Has reports whether id is cached, with its body or evicted.
func (c *MessageCache) Has(id string) bool {
	_, ok := c.ids.find(c.slab, id, c.ids.hash(id))
	return ok
}

// Evicted reports whether id is cached without its body, evicted over the
// budget.
func (c *MessageCache) Evicted(id string) bool {
	i, ok := c.ids.find(c.slab, id, c.ids.hash(id))
	return ok && !c.slab[i].held
}

// GetForPeer returns the message cached under id for serving to p, and how
// many times it has now been served to p, this time included; false when
// id is unknown or its body was evicted (which counts nothing).
func (c *MessageCache) GetForPeer(id string, p peer.ID) (m rpc.Message, count int, ok bool) {
	i, ok := c.ids.find(c.slab, id, c.ids.hash(id))
	if !ok || !c.slab[i].held {
		return rpc.Message{}, 0, false
	}
	e := &c.slab[i]
	for k := range e.served {
		if e.served[k].p == p {
			e.served[k].n++
			return e.message(), e.served[k].n, true
		}
	}
	e.served = append(e.served, sentCount{p: p, n: 1})
	return e.message(), 1, true
}

// GossipIDs appends to dst the ids of topic's messages in the gossip
// windows whose bodies are held, newest window first, and returns the
// extended slice. Under a budget, it leaves out the oldest bodies beyond
// the newest gossip/history share of the budget: those may be evicted
// before the IWANT the IHAVE asks for arrives, and an advertised message
// not served is a broken promise (P7) for the asker. The share keeps the
// spec's margin between the gossip and history windows in bytes.
func (c *MessageCache) GossipIDs(dst []string, topic string) []string {
	cutW, cutI := c.gossipCutoff()
	for k := 0; k < c.gossip && k <= cutW; k++ {
		w := &c.windows[k]
		start := w.cut
		if k == cutW {
			start = max(start, cutI)
		}
		for _, we := range w.entries[start:] {
			if e := &c.slab[we.idx]; c.live(we) && e.held && e.topic == topic {
				dst = append(dst, e.id)
			}
		}
	}
	return dst
}

// gossipCutoff returns where the advertised bodies start: window cutW
// from entry cutI on, and every newer window (cutW = len(windows) when
// all are advertised).
func (c *MessageCache) gossipCutoff() (cutW, cutI int) {
	skip := 0
	if c.budget > 0 {
		skip = c.bytes - c.bare - c.budget*c.gossip/len(c.windows)
	}
	for k := len(c.windows) - 1; k >= 0 && skip > 0; k-- {
		w := &c.windows[k]
		for j := w.cut; j < len(w.entries); j++ {
			if we := w.entries[j]; c.live(we) {
				if skip -= c.slab[we.idx].cost(); skip <= 0 {
					return k, j + 1
				}
			}
		}
	}
	return len(c.windows), 0
}

// Shift starts a new window, forgetting the messages of the oldest.
func (c *MessageCache) Shift() {
	last := c.windows[len(c.windows)-1]
	for _, we := range last.entries[last.drop:] {
		if c.live(we) {
			c.remove(we.idx)
		}
	}
	copy(c.windows[1:], c.windows[:len(c.windows)-1])
	c.windows[0] = cacheWindow{entries: last.entries[:0]}
}

// Len returns the number of ids cached, with their bodies or evicted.
func (c *MessageCache) Len() int { return c.ids.n }

// Bytes returns what the cache is charged now: ids, bodies held and
// EntryOverhead per id.
func (c *MessageCache) Bytes() int { return c.bytes }

// EvictedTotal returns how many bodies were evicted (or not kept) over the
// budget since NewMessageCache.
func (c *MessageCache) EvictedTotal() uint64 { return c.evicted }
