package router

import (
	"time"

	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// handleMessage handles one received message (gossipsub-v1.0.md
// "Message Processing"): duplicates are dropped cheaply; a new message is
// checked against the signature policy, marked seen, announced with
// IDONTWANT when large and validated asynchronously (v1.2, before
// validation), then validated.
func (r *Router) handleMessage(now time.Time, ps *peerState, m *rpc.Message) {
	r.stats.MsgsIn++
	t := r.msgTopic(m.Topic)
	if t == nil || !t.joined {
		if m.Topic == "" {
			r.stats.Drops[DropNoTopic]++
		} else {
			r.stats.Drops[DropNotSubscribed]++
		}
		return
	}
	// The topic's own string from here on: what the cache, the scorer and
	// validation keep must not pin the payload's string arena.
	m.Topic = t.name
	r.idbuf = r.appendID(r.idbuf[:0], m)
	fp := r.seen.Fingerprint(r.idbuf)
	if r.seen.HasFingerprint(fp) {
		r.stats.Duplicates++
		t.dups++
		r.noteCopy(r.idbuf, ps.id)
		r.noteDuplicate(now, t, ps.id, fp)
		switch {
		case r.refs != nil:
			r.refs.DuplicateMessageRef(now, ps.sref, r.idbuf, t.name)
		case r.dupB != nil:
			r.dupB.DuplicateMessageBytes(now, ps.id, r.idbuf, t.name)
		case r.scorer != nil:
			r.scorer.DuplicateMessage(now, ps.id, string(r.idbuf), t.name)
		}
		return
	}
	if r.blacklistedAuthor(m.From) {
		// Not marked seen, like a forgery: the forwarder is not penalised.
		r.drop(DropBlacklisted, Event{Peer: ps.id, Topic: t.name})
		return
	}
	if err := r.checkPolicy(m); err != nil {
		// Not marked seen: a forged copy must not shadow the real message.
		id, cause := string(r.idbuf), policyCause(err)
		r.stats.Drops[cause]++
		r.emit(Event{Kind: EventReject, Peer: ps.id, Topic: t.name, MsgID: id, Cause: cause})
		if r.scorer != nil {
			r.scorer.RejectMessage(now, ps.id, id, t.name, score.ReasonInvalid)
		}
		return
	}
	id := string(r.idbuf)
	r.seen.AddNewFingerprint(fp, now)
	r.promises.FulfillBytes(r.idbuf)
	r.noteFirst(now, t, ps.id, fp, m.Size())
	if r.scorer != nil {
		r.scorer.ValidateMessage(now, ps.id, id, t.name)
	}
	if t.val.Async && len(m.Data) >= r.p.IDontWantMessageThreshold {
		// A message validated inline is forwarded in this very Output: the
		// copy, in the same payload as an IDONTWANT would be, tells each
		// mesh peer as much (gwyh bench and sim measured IDONTWANT with
		// it as bytes spent for no duplicate saved, at 256 B, 1 KiB, 4 KiB
		// and 64 KiB). An asynchronous validation leaves a gap for it.
		r.sendIDontWant(t, ps, id)
	}
	r.validate(now, ps.id, id, m, t)
}

// sendIDontWant tells every mesh peer but the sender not to send us id
// (gossipsub-v1.2.md).
func (r *Router) sendIDontWant(t *topicState, from *peerState, id string) {
	for _, p := range t.mesh.Slice() {
		if p == from.id {
			continue
		}
		if ps := r.peers[p]; ps != nil {
			appendIDontWant(r.rpcFor(ps), id)
			r.stats.IDontWantSent++
		}
	}
}
