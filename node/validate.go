package node

import (
	"context"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

// ValidatorFunc validates one received message of a topic. It runs on the
// node's validation workers, concurrently with other validations; ctx ends
// when the node closes. data is shared with the router: read it, do not
// modify or keep it. A panic counts as Reject. It also validates each own
// message before Publish publishes it, in Publish's goroutine with
// Publish's ctx and the node's own ID as from.
type ValidatorFunc func(ctx context.Context, from peer.ID, data []byte) validator.Result

// vjob is one validation for the worker pool.
type vjob struct {
	id    router.ValidationID
	topic string
	from  peer.ID
	data  []byte
	fn    ValidatorFunc
}

// vresult is a finished validation, back to the loop.
type vresult struct {
	id     router.ValidationID
	result validator.Result
}

// validationWorker runs validations until the node closes.
func (n *Node) validationWorker() {
	defer n.wg.Done()
	for {
		select {
		case j := <-n.vjobs:
			res := n.runValidator(n.ctx, *j)
			select {
			case n.vresults <- vresult{id: j.id, result: res}:
			case <-n.quit:
				return
			}
		case <-n.quit:
			return
		}
	}
}

// runValidator calls the user's validator, turning a panic into Reject.
func (n *Node) runValidator(ctx context.Context, j vjob) (res validator.Result) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error("validator panicked", "topic", j.topic, "panic", fmt.Sprint(p))
			res = validator.Reject
		}
	}()
	return j.fn(ctx, j.from, j.data)
}

// withTimeout returns fn with its ctx ending after d (fn itself when d is
// zero or fn is nil), so that a validator can give up when the router
// stops waiting for it.
func withTimeout(fn ValidatorFunc, d time.Duration) ValidatorFunc {
	if fn == nil || d <= 0 {
		return fn
	}
	return func(ctx context.Context, from peer.ID, data []byte) validator.Result {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return fn(ctx, from, data)
	}
}

// routerValidator is how the router validates the topic's messages: not at
// all without a Validator; inline (synchronously, on the event loop) with
// ValidateInline; else asynchronously on the worker pool, under the
// topic's timeout and concurrency bound.
func (h *TopicHandle) routerValidator() router.TopicValidator {
	switch {
	case h.validate == nil:
		return router.TopicValidator{}
	case h.opts.ValidateInline:
		n, fn, topic := h.n, h.opts.Validator, h.name
		return router.TopicValidator{Sync: func(from peer.ID, m *rpc.Message) validator.Result {
			return n.runValidator(n.ctx, vjob{topic: topic, from: from, data: m.Data, fn: fn})
		}}
	}
	return router.TopicValidator{Async: true, Timeout: h.opts.ValidatorTimeout, MaxConcurrent: h.opts.ValidatorConcurrency}
}
