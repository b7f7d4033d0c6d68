package node

import (
	"context"
	"fmt"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
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
			res := n.runValidator(n.ctx, j)
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
