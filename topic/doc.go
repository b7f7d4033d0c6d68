// Package topic gives typed handles on gwyh topics: Join a topic of a node
// with a Codec for the value type, Publish values, Subscribe and read
// Message[T] with Next. It builds on node's lower-level TopicHandle.
//
//	t, err := topic.Join(n, "prices", topic.JSON[Price]())
//	sub, err := t.Subscribe()
//	err = t.Publish(ctx, Price{Symbol: "X", Cents: 100})
//	m, err := sub.Next(ctx) // m.Value is a Price
//
// Readiness: WithMinPeers or WaitPeers wait until the topic has peers, so
// that a value is not published to nobody. A joined topic relays (its
// messages are validated and forwarded) with or without a Subscription.
// Per topic, as in go-libp2p-pubsub: Peers (ListPeers), WatchPeers (the
// peer join/leave event handler), WithMessageID, WithValidatorTimeout,
// WithValidatorConcurrency, WithValidatorInline, SetScoreParams and
// PublishBatch (a message batch whose first copies go out interleaved
// across peers).
//
// Every subscription has a bounded buffer: a slow subscriber loses its
// oldest messages (counted by Lost), never blocking the node. A validator
// (WithValidator) sees decoded values; a value that does not decode is
// rejected, which penalises the peer that sent it when scoring is on.
//
// All methods are safe for concurrent use.
package topic
