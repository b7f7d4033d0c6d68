package router

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// The choke extension (Params.Choke; libp2p/specs PR #681, Episub's
// CHOKE/UNCHOKE). Per joined topic the router watches when each mesh
// peer's copies arrive. At the end of every window of ChokeWindow new
// messages it decides:
//
//   - unchoke: a choked peer whose IHAVEs named a message more than
//     ChokeMargin before its first copy came, or whose copy, still sent
//     in full, was first (it would have been first), for at least
//     1/chokeUnchokeDiv of the window. An IHAVE that only just beats the
//     copies shows no faster peer: it is sent when the others send the
//     message, and is smaller; counted, it made a choked peer on a LAN
//     look first often enough to be unchoked and choked again: about
//     900 CHOKEs in a 0.8 s gwyh bench run of 32 nodes at window 16,
//     some four per mesh link;
//   - choke: an unchoked peer first (or within ChokeMargin of the first)
//     for under 1/chokeFirstDiv of the window and late for at least
//     1/chokeLateDiv of it, the latest first, while more than
//     ChokeMinUnchoked mesh peers stay unchoked.
//
// Both wait for load (ChokeMinRate; chokeLoad measures it): a window's end
// at which the topic's load reaches ChokeMinRate engages choke, and it
// stays engaged until a window's end or a heartbeat finds the load under
// half that (hysteresis, so that a load near the threshold does not choke
// and unchoke every other window). Disengaged, a window decides neither
// and unchokes every choked peer instead. At light load duplicates cost
// next to nothing and the first of D eager copies is what keeps the
// latency tail short, so choke stands aside there.
//
// The heartbeat unchokes peers choked for ChokeTimeout, and silent ones: a
// peer choked for at least a heartbeat interval that carried, in IHAVE or
// still in full, fewer than half of the topic's messages first received
// since the last heartbeat (unchoked, it is scored by P3 again). Silence is
// judged over a heartbeat, not a window: under load a window can pass in
// milliseconds, while a busy peer's traffic comes in bursts and our CHOKE
// may wait in its queue for longer than that (it then still sends in
// full, which counts as carrying). The heartbeat also tops the unchoked
// mesh peers up to ChokeMinUnchoked. A peer that chokes us gets
// IHAVE instead of the messages we forward (own publishes still go in
// full); its CHOKE stands until UNCHOKE or until it leaves our mesh. Choke
// state lives and dies with mesh membership: GRAFT and PRUNE reset it on
// both sides.
//
// Attacks: a CHOKE only lowers what its sender receives, so an attacker
// that chokes us only starves itself; a choked attacker still sends
// IHAVE, and the IWANTs they trigger carry the usual promises (P7). The
// unchoked floor keeps eager delivery from at least ChokeMinUnchoked
// peers. A peer we choked is not penalised by P3 (ChokeScorer), but only
// while it announces the topic's messages: a choked peer that falls silent
// (a covert attacker that made itself late to escape P3, then stopped) is
// unchoked at the end of the window and scored as any mesh peer again.

const (
	chokeFirstDiv   = 16 // choke below 1/16 of the window first
	chokeLateDiv    = 4  // and at least 1/4 of it late
	chokeUnchokeDiv = 8  // unchoke at 1/8 of the window "would have been first"
	// chokeFirsts is how many recent first arrivals per topic are
	// remembered to tell near-first copies from late ones; an older
	// message's copy is late.
	chokeFirsts = 256
)

// ChokeScorer is an optional extension of Scorer: when the configured
// Scorer implements it, the router tells it which mesh peers it choked, so
// that P3 (mesh message deliveries) does not count against a peer that we
// asked not to send (package score implements it).
type ChokeScorer interface {
	// Choke: we choked mesh peer p in topic; its P3 deficit no longer
	// counts.
	Choke(now time.Time, p peer.ID, topic string)
	// Unchoke: we unchoked p; P3 counts again after its activation time.
	Unchoke(now time.Time, p peer.ID, topic string)
}

// chokeState is one topic's choke bookkeeping.
type chokeState struct {
	choked   mesh.PeerSet // mesh peers we choked
	chokedBy map[peer.ID]*chokedPeer
	chokedUs mesh.PeerSet // mesh peers that choked us
	obs      map[peer.ID]*chokeObs
	n        int // new messages in the current window
	beat     int // new messages since the last heartbeat
	load     chokeLoad
	engaged  bool // the load reached ChokeMinRate (see gauge)

	// firsts remembers when recent messages first arrived (Unix ns);
	// announced, for recent messages a choked peer announced before any
	// copy came, the first to announce it and when. Both are keyed by the
	// seen set's fingerprints of the ids and held only while engaged.
	firsts    recent[int64]
	announced recent[announce]
}

// recent maps the fingerprints of the last chokeFirsts messages put to
// their values: a map and a ring of its keys, the oldest forgotten first.
// The zero value is empty and allocates nothing until the first put.
type recent[V any] struct {
	m    map[uint64]V
	ring []uint64
	next int
}

// put maps fp to v, forgetting the oldest key when full. A key deleted
// meanwhile keeps its ring slot until the ring comes round to it.
func (r *recent[V]) put(fp uint64, v V) {
	if r.m == nil {
		r.m = make(map[uint64]V, chokeFirsts)
		r.ring = make([]uint64, 0, chokeFirsts)
	}
	if len(r.ring) < chokeFirsts {
		r.ring = append(r.ring, fp)
	} else {
		delete(r.m, r.ring[r.next])
		r.ring[r.next] = fp
		r.next = (r.next + 1) % chokeFirsts
	}
	r.m[fp] = v
}

// announce is a choked peer's IHAVE of a message not seen yet.
type announce struct {
	by peer.ID
	at int64 // Unix ns
}

// chokeLoad measures a topic's load: the bytes of the message bodies
// (rpc.Message.Size) first received in the current heartbeat interval and
// the one before, over the time since the one before began, and over at
// least a HeartbeatInterval. A span of one to two heartbeats, never less,
// sees a backlog that arrives at once after a stall as the messages of the
// second they belong to, not as a burst of load.
type chokeLoad struct {
	prev, cur int       // bytes in the previous and the current interval
	since     time.Time // when the previous interval began
	curStart  time.Time // when the current one began
}

// add counts size bytes received at now.
func (l *chokeLoad) add(now time.Time, size int) {
	if l.since.IsZero() {
		l.since, l.curStart = now, now
	}
	l.cur += size
}

// heartbeat starts a new interval at now.
func (l *chokeLoad) heartbeat(now time.Time) {
	l.prev, l.cur, l.since, l.curStart = l.cur, 0, l.curStart, now
}

// atLeast reports whether the load at now is at least rate bytes/s,
// measured over at least span.
func (l *chokeLoad) atLeast(now time.Time, rate int, span time.Duration) bool {
	return float64(l.prev+l.cur) >= float64(rate)*max(now.Sub(l.since), span).Seconds()
}

// chokeObs counts one mesh peer's copies in the current window.
type chokeObs struct {
	first, late, wouldFirst int
}

// chokedPeer is what we know of a peer we choked.
type chokedPeer struct {
	at      time.Time // when we choked it
	carried int       // ids in its IHAVEs and copies still sent in full since the last heartbeat
	since   int       // the topic's beat count when carried started counting
}

// chokes returns t's choke state, creating it (its maps come with their
// first entries: every joined topic of every node has one).
func (t *topicState) chokes() *chokeState {
	if t.ch == nil {
		t.ch = &chokeState{}
	}
	return t.ch
}

// forgetChoke drops p's choke state in t, both ways (p joined or left the
// mesh).
func (t *topicState) forgetChoke(p peer.ID) {
	if c := t.ch; c != nil {
		c.choked.Remove(p)
		c.chokedUs.Remove(p)
		delete(c.chokedBy, p)
		delete(c.obs, p)
	}
}

// chokedUs reports whether p choked us in t.
func (t *topicState) chokedUs(p peer.ID) bool {
	return t.ch != nil && t.ch.chokedUs.Len() > 0 && t.ch.chokedUs.Has(p)
}

// obsOf returns p's counters, creating them.
func (c *chokeState) obsOf(p peer.ID) *chokeObs {
	o := c.obs[p]
	if o == nil {
		if c.obs == nil {
			c.obs = make(map[peer.ID]*chokeObs)
		}
		o = &chokeObs{}
		c.obs[p] = o
	}
	return o
}

// noteFirst records the first copy of a new message of t (the seen set's
// fingerprint fp of its id, size bytes of body), from from, at now, and
// decides at the end of a window.
func (r *Router) noteFirst(now time.Time, t *topicState, from peer.ID, fp uint64, size int) {
	if !r.p.Choke {
		return
	}
	c := t.chokes()
	if !c.engaged && r.p.ChokeMinRate == 0 {
		c.engaged = true // at any load: from the first message
	}
	if c.engaged {
		c.firsts.put(fp, now.UnixNano())
		c.creditAnnounce(now, fp, from, r.p.ChokeMargin)
		c.beat++
		if t.mesh.Has(from) {
			if k := c.chokedBy[from]; k != nil {
				k.carried++
				c.obsOf(from).wouldFirst++
			} else {
				c.obsOf(from).first++
			}
		}
	}
	c.n++
	c.load.add(now, size)
	if c.n >= r.p.ChokeWindow {
		r.decideChokes(now, t)
	}
}

// creditAnnounce, at the first copy of the message of fingerprint fp (at
// now, from from), credits the choked peer that announced it first with
// a would-be first, if its announcement led by more than margin: one
// that only just beat the full copies (a small IHAVE sent when the others
// sent the message) was no faster than they are, as copies within margin
// of the first count as first. A choked peer's own full copy is counted
// by noteFirst.
func (c *chokeState) creditAnnounce(now time.Time, fp uint64, from peer.ID, margin time.Duration) {
	a, ok := c.announced.m[fp]
	if !ok {
		return
	}
	delete(c.announced.m, fp) // its ring slot is reused in turn
	if a.by == from || time.Duration(now.UnixNano()-a.at) <= margin {
		return
	}
	if c.chokedBy[a.by] != nil {
		c.obsOf(a.by).wouldFirst++
	}
}

// disengage forgets the first arrivals, which only an engaged choke needs
// (a few kilobytes per topic, which every node of a large cluster would
// otherwise hold for topics that never reach ChokeMinRate). Its callers
// then unchoke everyone and end the window (unchokeAll), which forgets the
// window's counters.
func (c *chokeState) disengage() {
	c.engaged = false
	c.firsts, c.announced = recent[int64]{}, recent[announce]{}
}

// noteDuplicate records a later copy (of fingerprint fp) from mesh peer
// from: near-first within ChokeMargin of the first, else late. A choked
// peer's copy only shows that it carries the topic (it has not read our
// CHOKE yet, or answers an IWANT). Nothing is recorded while choke is not
// engaged.
func (r *Router) noteDuplicate(now time.Time, t *topicState, from peer.ID, fp uint64) {
	c := t.ch
	if !r.p.Choke || c == nil || !c.engaged || !t.mesh.Has(from) {
		return
	}
	if k := c.chokedBy[from]; k != nil {
		k.carried++
		return
	}
	o := c.obsOf(from)
	if at, ok := c.firsts.m[fp]; ok && time.Duration(now.UnixNano()-at) <= r.p.ChokeMargin {
		o.first++
	} else {
		o.late++
	}
}

// noteChokedIHave records the ids a choked mesh peer advertised at now:
// it carries them, and each one not seen yet may show it would have been
// first, as the first copy will tell (creditAnnounce).
func (r *Router) noteChokedIHave(now time.Time, t *topicState, from peer.ID, ids []string) {
	c := t.ch
	if !r.p.Choke || c == nil {
		return
	}
	k := c.chokedBy[from]
	if k == nil {
		return
	}
	k.carried += len(ids)
	if !c.engaged {
		return
	}
	for _, id := range ids {
		if fp := r.seen.FingerprintString(id); !r.seen.HasFingerprint(fp) {
			if _, ok := c.announced.m[fp]; !ok { // the first to announce it
				c.announced.put(fp, announce{by: from, at: now.UnixNano()})
			}
		}
	}
}

// gauge updates and returns whether choke is engaged in c at now: from
// a load of ChokeMinRate until one under half that.
func (r *Router) gauge(now time.Time, c *chokeState) bool {
	switch {
	case c.load.atLeast(now, r.p.ChokeMinRate, r.p.HeartbeatInterval):
		c.engaged = true
	case !c.load.atLeast(now, r.p.ChokeMinRate/2, r.p.HeartbeatInterval):
		if c.engaged {
			c.disengage()
		}
	}
	return c.engaged
}

// endWindow forgets c's window.
func (c *chokeState) endWindow() {
	clear(c.obs)
	c.n = 0
}

// unchokeAll unchokes every choked peer of t (choke disengaged) and ends
// the window.
func (r *Router) unchokeAll(now time.Time, t *topicState) {
	c := t.ch
	for _, p := range slices.Clone(c.choked.Slice()) {
		r.unchoke(now, t, p)
	}
	c.endWindow()
}

// decideChokes ends t's window. Choke disengaged (gauge), it unchokes
// every choked peer. Engaged, it unchokes the choked peers that would have
// been first often enough, then chokes the late ones above the unchoked
// floor, latest first.
func (r *Router) decideChokes(now time.Time, t *topicState) {
	c := t.ch
	if !r.gauge(now, c) {
		r.unchokeAll(now, t)
		return
	}
	w := r.p.ChokeWindow
	for _, p := range slices.Clone(c.choked.Slice()) {
		if o := c.obs[p]; o != nil && o.wouldFirst*chokeUnchokeDiv >= w {
			r.unchoke(now, t, p)
		}
	}
	var late []peer.ID
	for _, p := range t.mesh.Slice() {
		o := c.obs[p]
		if c.choked.Has(p) || o == nil {
			continue
		}
		if o.first*chokeFirstDiv < w && o.late*chokeLateDiv >= w {
			late = append(late, p)
		}
	}
	slices.SortStableFunc(late, func(a, b peer.ID) int { return c.obs[b].late - c.obs[a].late })
	for _, p := range late {
		if t.mesh.Len()-c.choked.Len() <= r.p.ChokeMinUnchoked {
			break
		}
		r.choke(now, t, p)
	}
	c.endWindow()
}

// maintainChokes runs at each heartbeat for a joined topic: it starts a
// load interval and unchokes every choked peer when the load fell under
// half ChokeMinRate (gauge), else the peers choked for ChokeTimeout, the
// silent ones, and the best choked peers while fewer than ChokeMinUnchoked
// mesh peers are unchoked.
func (r *Router) maintainChokes(now time.Time, t *topicState) {
	c := t.ch
	if c == nil {
		return
	}
	c.load.heartbeat(now)
	beat := c.beat
	c.beat = 0
	if !c.engaged {
		return // engaging is for a window's end
	}
	if !r.gauge(now, c) {
		r.unchokeAll(now, t)
		return
	}
	if c.choked.Len() == 0 {
		return
	}
	for _, p := range slices.Clone(c.choked.Slice()) {
		k := c.chokedBy[p]
		timedOut := r.p.ChokeTimeout > 0 && now.Sub(k.at) >= r.p.ChokeTimeout
		silent := now.Sub(k.at) >= r.p.HeartbeatInterval && k.carried*2 < beat-k.since
		k.carried, k.since = 0, 0
		if timedOut || silent {
			r.unchoke(now, t, p)
		}
	}
	if c.choked.Len() == 0 || t.mesh.Len()-c.choked.Len() >= r.p.ChokeMinUnchoked {
		return
	}
	best := slices.Clone(c.choked.Slice())
	would := func(p peer.ID) int {
		if o := c.obs[p]; o != nil {
			return o.wouldFirst
		}
		return 0
	}
	slices.SortStableFunc(best, func(a, b peer.ID) int { return would(b) - would(a) })
	for _, p := range best {
		if t.mesh.Len()-c.choked.Len() >= r.p.ChokeMinUnchoked {
			break
		}
		r.unchoke(now, t, p)
	}
}

// choke sends CHOKE to mesh peer p of t.
func (r *Router) choke(now time.Time, t *topicState, p peer.ID) {
	ps := r.peers[p]
	if ps == nil {
		return
	}
	c := t.chokes()
	c.choked.Add(p)
	if c.chokedBy == nil {
		c.chokedBy = make(map[peer.ID]*chokedPeer)
	}
	c.chokedBy[p] = &chokedPeer{at: now, since: c.beat}
	m := r.rpcFor(ps)
	m.Choke = append(m.Choke, rpc.Choke{Topic: t.name})
	r.stats.ChokeSent++
	if cs, ok := r.scorer.(ChokeScorer); ok {
		cs.Choke(now, p, t.name)
	}
	r.emit(Event{Kind: EventChoke, Peer: p, Topic: t.name})
}

// unchoke sends UNCHOKE to choked peer p of t.
func (r *Router) unchoke(now time.Time, t *topicState, p peer.ID) {
	c := t.ch
	if c == nil || !c.choked.Remove(p) {
		return
	}
	delete(c.chokedBy, p)
	delete(c.obs, p)
	if ps := r.peers[p]; ps != nil {
		m := r.rpcFor(ps)
		m.Unchoke = append(m.Unchoke, rpc.Unchoke{Topic: t.name})
	}
	r.stats.UnchokeSent++
	if cs, ok := r.scorer.(ChokeScorer); ok {
		cs.Unchoke(now, p, t.name)
	}
	r.emit(Event{Kind: EventUnchoke, Peer: p, Topic: t.name})
}

// handleChoke honours a CHOKE (choke true) or UNCHOKE from ps: only from a
// mesh peer of a joined topic, else dropped and counted.
func (r *Router) handleChoke(ps *peerState, topic string, choke bool) {
	t := r.topics[topic]
	if t == nil || !t.joined || !t.mesh.Has(ps.id) {
		r.stats.Drops[DropChokeNotMesh]++
		return
	}
	if choke {
		r.stats.ChokeRecv++
		t.chokes().chokedUs.Add(ps.id)
		return
	}
	r.stats.UnchokeRecv++
	if t.ch != nil {
		t.ch.chokedUs.Remove(ps.id)
	}
}

// sendChokedIHave announces id to ps, a mesh peer of t that choked us,
// instead of sending the message, unless ps does not want it.
func (r *Router) sendChokedIHave(ps *peerState, t *topicState, id string) {
	if ps.dontWant.Has(id) {
		return
	}
	m := r.rpcFor(ps)
	if n := len(m.IHave); n > 0 && m.IHave[n-1].Topic == t.name {
		// Appending to a gossip entry copies it (its ids are capped).
		m.IHave[n-1].IDs = append(m.IHave[n-1].IDs, id)
	} else {
		// A fresh ids slice: a reused entry's may alias an old gossip arena.
		m.IHave = append(m.IHave, rpc.IHave{Topic: t.name, IDs: []string{id}})
		r.stats.IHaveSent++
	}
	r.stats.ChokedIHave++
}
