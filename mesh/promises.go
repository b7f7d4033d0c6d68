package mesh

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Promises tracks IWANT promises (gossipsub-v1.1.md "Spam Protection
// Measures"): for each IHAVE that led to an IWANT, one requested id chosen
// at random, the advertiser, and a deadline. Receiving the message keeps
// every promise for it; a promise still open at its deadline is broken, and
// the advertiser earns a P7 penalty. Memory is one entry per promise; the
// router adds at most one per IHAVE it answers, which is bounded per peer
// and heartbeat. The zero value is unusable; use NewPromises. Not safe for
// concurrent use.
type Promises struct {
	m map[string][]promise
}

type promise struct {
	p  peer.ID
	at time.Time
}

// NewPromises returns an empty Promises.
func NewPromises() *Promises { return &Promises{m: make(map[string][]promise)} }

// Add records that p promised to deliver id by at. A second promise of the
// same id by the same peer keeps the first deadline.
func (ps *Promises) Add(id string, p peer.ID, at time.Time) {
	l := ps.m[id]
	for _, e := range l {
		if e.p == p {
			return
		}
	}
	ps.m[id] = append(l, promise{p: p, at: at})
}

// FulfillBytes marks the message spelled by id received: every promise for
// it is kept. It does not allocate.
func (ps *Promises) FulfillBytes(id []byte) {
	if len(ps.m) == 0 {
		return
	}
	if _, ok := ps.m[string(id)]; ok {
		delete(ps.m, string(id))
	}
}

// Expire removes the promises whose deadline is at or before now and
// returns the peers that broke them with how many each broke, sorted by
// peer. dst is reused for the result.
func (ps *Promises) Expire(now time.Time, dst []Broken) []Broken {
	dst = dst[:0]
	for id, l := range ps.m {
		kept := l[:0]
		for _, e := range l {
			if now.Before(e.at) {
				kept = append(kept, e)
				continue
			}
			dst = addBroken(dst, e.p)
		}
		if len(kept) == 0 {
			delete(ps.m, id)
		} else {
			ps.m[id] = kept
		}
	}
	slices.SortFunc(dst, func(a, b Broken) int { return a.Peer.Compare(b.Peer) })
	return dst
}

func addBroken(dst []Broken, p peer.ID) []Broken {
	for i := range dst {
		if dst[i].Peer == p {
			dst[i].Count++
			return dst
		}
	}
	return append(dst, Broken{Peer: p, Count: 1})
}

// Broken is the number of promises one peer broke.
type Broken struct {
	Peer  peer.ID
	Count int
}

// Len returns the number of message ids with open promises.
func (ps *Promises) Len() int { return len(ps.m) }
