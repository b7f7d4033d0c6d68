// Package topic gives typed handles on gwyh topics: Join a topic of a node
// with a Codec for the value type, Publish values, Subscribe and read
// Message[T] with Next. It builds on node's lower-level TopicHandle.
//
//	t, err := topic.Join(n, "prices", topic.JSON[Price]())
//	sub, err := t.Subscribe()
//	err = t.Publish(ctx, Price{Symbol: "X", Cents: 100})
//	m, err := sub.Next(ctx) // m.Value is a Price
//
// Every subscription has a bounded buffer: a slow subscriber loses its
// oldest messages (counted by Lost), never blocking the node. A validator
// (WithValidator) sees decoded values; a value that does not decode is
// rejected, which penalises the peer that sent it when scoring is on.
//
// All methods are safe for concurrent use.
package topic
