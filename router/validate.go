package router

import (
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// pendingValidation is a message waiting for an asynchronous result.
type pendingValidation struct {
	id    string
	topic string
	from  peer.ID
	msg   rpc.Message
	// also are peers that sent copies while it was validating; it is not
	// forwarded to them (at most maxAlso are remembered).
	also     []peer.ID
	received time.Time // the now of the message's first copy
}

// maxAlso bounds pendingValidation.also.
const maxAlso = 16

// SetValidator sets how topic's messages are validated, replacing any
// earlier setting; the zero TopicValidator accepts everything. It applies
// to messages received after the call; validations in flight finish under
// the old setting. It produces no output.
func (r *Router) SetValidator(topic string, v TopicValidator) {
	if v.Sync == nil && !v.Async {
		delete(r.validators, topic)
	} else {
		r.validators[topic] = v
	}
	if t := r.topics[topic]; t != nil {
		t.val = v
	}
}

// validate runs t's validators on a new message (gossipsub-v1.1.md
// "Extended Validators"): the synchronous one inline, then the
// asynchronous one as a request, under the in-flight limits.
func (r *Router) validate(now time.Time, from peer.ID, id string, m *rpc.Message, t *topicState) {
	if t.val.Sync != nil {
		if res := t.val.Sync(from, m); res != validator.Accept {
			r.finish(now, from, id, m, t, res)
			return
		}
	}
	if !t.val.Async {
		r.accept(now, from, id, m, t)
		return
	}
	if err := r.acquire(t); err != nil {
		r.stats.ValidationThrottled++
		r.drop(DropValidationThrottled, Event{Peer: from, Topic: t.name, MsgID: id})
		if r.scorer != nil {
			r.scorer.RejectMessage(now, from, id, t.name, score.ReasonIgnored)
		}
		return
	}
	r.nextValID++
	vid := r.nextValID
	pv := &pendingValidation{id: id, topic: t.name, from: from, msg: *m, received: now}
	timeout := t.val.Timeout
	if timeout <= 0 {
		timeout = r.cfg.ValidationTimeout
	}
	r.pendingFor(timeout).Add(vid, pv, now.Add(timeout))
	r.validating[id] = pv
	r.out.Validations = append(r.out.Validations, ValidationRequest{
		ID: ValidationID(vid), MsgID: id, Topic: t.name, From: from, Msg: *m,
	})
}

// acquire counts one more asynchronous validation in flight for t, or
// returns an error when the global limit, the per-topic limit or t's own
// MaxConcurrent is reached.
func (r *Router) acquire(t *topicState) error {
	if c := t.val.MaxConcurrent; c > 0 {
		if _, in := r.limiter.InFlight(t.name); in >= c {
			return validator.ErrTopicThrottled
		}
	}
	return r.limiter.Acquire(t.name)
}

// ValidationDone reports the result of the asynchronous validation id. A
// result for an unknown, finished or timed-out validation is dropped and
// counted (DropValidationLate).
func (r *Router) ValidationDone(now time.Time, id ValidationID, res validator.Result) {
	r.begin(now)
	pv, ok := r.takePending(uint64(id))
	if !ok {
		r.stats.Drops[DropValidationLate]++
		return
	}
	r.limiter.Release(pv.topic)
	delete(r.validating, pv.id)
	t := r.topics[pv.topic]
	if t == nil || !t.joined {
		r.stats.Drops[DropNotSubscribed]++
		return
	}
	if res == validator.Accept {
		r.acceptFrom(now, pv.received, pv.from, pv.id, &pv.msg, t, pv.also)
		return
	}
	r.finish(now, pv.from, pv.id, &pv.msg, t, res)
}

// noteCopy remembers that p sent a copy of a message still validating
// asynchronously, so that it is not forwarded back to p. Cheap when no
// validation is in flight.
func (r *Router) noteCopy(idb []byte, p peer.ID) {
	if len(r.validating) == 0 {
		return
	}
	pv, ok := r.validating[string(idb)]
	if !ok || len(pv.also) >= maxAlso || pv.from == p {
		return
	}
	for _, q := range pv.also {
		if q == p {
			return
		}
	}
	pv.also = append(pv.also, p)
}

// expireValidations ignores the validations whose timeout passed.
func (r *Router) expireValidations(now time.Time) {
	r.expirePending(now, func(_ uint64, pv *pendingValidation) {
		r.limiter.Release(pv.topic)
		delete(r.validating, pv.id)
		r.stats.ValidationTimeout++
		r.drop(DropValidationTimeout, Event{Peer: pv.from, Topic: pv.topic, MsgID: pv.id})
		if r.scorer != nil {
			r.scorer.RejectMessage(now, pv.from, pv.id, pv.topic, score.ReasonIgnored)
		}
	})
}

// finish acts on a validation result.
func (r *Router) finish(now time.Time, from peer.ID, id string, m *rpc.Message, t *topicState, res validator.Result) {
	switch res {
	case validator.Accept:
		r.accept(now, from, id, m, t)
	case validator.Reject:
		r.stats.ValidationReject++
		r.stats.Drops[DropRejected]++
		r.emit(Event{Kind: EventReject, Peer: from, Topic: t.name, MsgID: id, Cause: DropRejected})
		if r.scorer != nil {
			r.scorer.RejectMessage(now, from, id, t.name, score.ReasonInvalid)
		}
	default: // Ignore, and any invalid Result
		r.stats.ValidationIgnore++
		r.drop(DropIgnored, Event{Peer: from, Topic: t.name, MsgID: id})
		if r.scorer != nil {
			r.scorer.RejectMessage(now, from, id, t.name, score.ReasonIgnored)
		}
	}
}
