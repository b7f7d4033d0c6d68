package node

import (
	"context"
	"errors"
	"time"

	"github.com/gwyh/gwyh/score"
)

// ErrScoringOff: the node runs without peer scoring (Config.Score is nil),
// so there are no score parameters to change.
var ErrScoringOff = errors.New("node: peer scoring is off")

// SetTopicScoreParams sets topic's score parameters while the node runs
// (go-libp2p-pubsub's Topic.SetScoreParams), in place of Config.Score's
// entry for it, or scoring the topic when it had none. tp is checked
// (errors wrap score.ErrConfig, and nothing changes) and copied; it takes
// effect at once on the event loop: every peer's score is recomputed with
// it, counters above lowered caps are cut, and when the topic was not
// scored before, its current mesh peers start accruing time in mesh from
// now. The node's Config is not changed. Errors: ErrScoringOff, ErrClosed,
// score.ErrConfig.
func (n *Node) SetTopicScoreParams(topic string, tp score.TopicParams) error {
	if n.scorer == nil {
		return ErrScoringOff
	}
	if err := tp.Validate(); err != nil {
		return err
	}
	var err error
	if e := n.do(context.Background(), func(now time.Time) {
		err = n.scorer.SetTopicParams(now, topic, tp, n.r.Mesh(topic))
	}); e != nil {
		return e
	}
	return err
}

// SetScoreParams changes the topic's score parameters:
// n.SetTopicScoreParams(h.Name(), tp).
func (h *TopicHandle) SetScoreParams(tp score.TopicParams) error {
	return h.n.SetTopicScoreParams(h.name, tp)
}
