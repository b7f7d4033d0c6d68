package router

import (
	"slices"
	"strings"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// handleIHave answers IHAVE with IWANT for the unseen ids
// (gossipsub-v1.0.md, v1.1 "Spam Protection Measures"): nothing from a
// peer below GossipThreshold; IHAVE for at most MaxIHaveMessages topics and
// at most MaxIHaveLength asked ids per peer per heartbeat; only for joined
// topics. A peer gossips one IHAVE per topic per heartbeat, which rpc.Pack
// splits into several entries when it exceeds the MTU: the entries of one
// topic count as one IHAVE message, and MaxIHaveLength bounds the ids.
// For each IHAVE answered, one asked id chosen at random becomes a promise
// the advertiser must keep within IWantFollowupTime.
func (r *Router) handleIHave(now time.Time, ps *peerState, ihs []rpc.IHave) {
	r.stats.IHaveRecv += uint64(len(ihs))
	if r.scorer != nil && r.freshScoreOf(ps) < r.th.GossipThreshold {
		r.stats.Drops[DropIHaveFlood] += uint64(len(ihs))
		return
	}
	for i := range ihs {
		if !ps.countIHave(ihs[i].Topic, r.p.MaxIHaveMessages) || ps.iasked >= r.p.MaxIHaveLength {
			r.stats.Drops[DropIHaveFlood]++
			continue
		}
		t := r.topics[ihs[i].Topic]
		if t == nil || !t.joined {
			continue
		}
		r.noteChokedIHave(now, t, ps.id, ihs[i].IDs)
		r.askIWant(now, ps, ihs[i].IDs)
	}
}

// askIWant sends IWANT for the unseen ids among ids, within the peer's
// MaxIHaveLength budget, and records one promise.
func (r *Router) askIWant(now time.Time, ps *peerState, ids []string) {
	var want []string
	for _, id := range ids {
		if !r.seen.Has(id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return
	}
	if n := r.p.MaxIHaveLength - ps.iasked; len(want) > n {
		r.rng.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
		want = want[:n]
	}
	ps.iasked += len(want)
	r.stats.IWantSent += uint64(len(want))
	// A copy: the id would otherwise pin the IHAVE's whole string arena
	// (rpc interns an RPC's strings into one) until the promise ends.
	r.promises.Add(strings.Clone(want[r.rng.IntN(len(want))]), ps.id, now.Add(r.p.IWantFollowupTime))
	appendIWant(r.rpcFor(ps), want)
}

// countIHave records an IHAVE entry for topic and reports whether it is
// within the budget of max IHAVE messages (topics) this heartbeat.
func (ps *peerState) countIHave(topic string, max int) bool {
	if slices.Contains(ps.ihaves, topic) {
		return true
	}
	if len(ps.ihaves) >= max {
		return false
	}
	ps.ihaves = append(ps.ihaves, strings.Clone(topic)) // not the payload arena's, kept a heartbeat
	return true
}
