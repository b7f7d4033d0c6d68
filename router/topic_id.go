package router

import "github.com/gwyh/gwyh/rpc"

// SetTopicMessageID makes fn compute the ids of topic's messages, own and
// received, in place of Config.MessageID (go-libp2p-pubsub's per-topic
// WithMessageIdFn); nil restores the router-wide function. Every peer of
// the topic must use the same function: ids name messages in IHAVE,
// IWANT and IDONTWANT, and a peer computing other ids sees every copy as
// new. fn must not keep m and must not return an empty id. It applies to
// messages handled after the call; it produces no output.
func (r *Router) SetTopicMessageID(topic string, fn func(m *rpc.Message) string) {
	if fn == nil {
		delete(r.topicIDs, topic)
		return
	}
	r.topicIDs[topic] = fn
}
