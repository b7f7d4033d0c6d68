package router

import (
	"slices"
	"time"

	"github.com/gwyh/gwyh/validator"
)

// timedPending holds the asynchronous validations of the topics whose
// TopicValidator.Timeout differs from Config.ValidationTimeout: one queue
// per timeout, so that each queue's deadlines stay in order, as
// validator.Pending requires.
type timedPending struct {
	timeout time.Duration
	p       *validator.Pending[*pendingValidation]
}

// pendingFor returns the queue of validations with timeout d (zero means
// Config.ValidationTimeout), creating it. The queues are kept sorted by
// timeout; there are as many as distinct timeouts the owner set.
func (r *Router) pendingFor(d time.Duration) *validator.Pending[*pendingValidation] {
	if d <= 0 || d == r.cfg.ValidationTimeout {
		return r.pending
	}
	i, ok := slices.BinarySearchFunc(r.timed, d, func(tp timedPending, d time.Duration) int { return cmpDuration(tp.timeout, d) })
	if !ok {
		r.timed = slices.Insert(r.timed, i, timedPending{timeout: d, p: validator.NewPending[*pendingValidation]()})
	}
	return r.timed[i].p
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// takePending removes and returns validation id from whichever queue holds
// it.
func (r *Router) takePending(id uint64) (*pendingValidation, bool) {
	if pv, ok := r.pending.Take(id); ok {
		return pv, true
	}
	for _, tp := range r.timed {
		if pv, ok := tp.p.Take(id); ok {
			return pv, true
		}
	}
	return nil, false
}

// nextPending returns the earliest validation deadline of every queue, or
// the zero time.
func (r *Router) nextPending() time.Time {
	d := r.pending.Next()
	for _, tp := range r.timed {
		if n := tp.p.Next(); !n.IsZero() && (d.IsZero() || n.Before(d)) {
			d = n
		}
	}
	return d
}

// expirePending calls fn for every validation whose deadline passed: the
// default queue first, then the others by timeout (a deterministic order).
func (r *Router) expirePending(now time.Time, fn func(id uint64, pv *pendingValidation)) {
	r.pending.Expire(now, fn)
	for _, tp := range r.timed {
		tp.p.Expire(now, fn)
	}
}
