// Package node is gwyh's runtime: it runs one router.Router (the GossipSub
// state machine) over one transport.Conn (encrypted UDP), with the clock,
// the peers and a pool of validation workers.
//
// # Structure
//
// One event-loop goroutine owns the router. Its inputs are the transport's
// events (payloads, peer up and down), one timer armed at the router's next
// deadline (from Config.Clock), calls from topic handles, the results of
// validation workers and the results of dials. After each batch of inputs it
// drains the router's Output: RPCs are packed with rpc.Pack and queued on the
// transport at control, message or gossip priority; deliveries go to the
// bounded buffers of subscriptions; validations go to the worker pool;
// events feed the tracer, the counters and the peer manager.
//
// The peer manager dials Config.Bootstrap at start (retrying with backoff),
// dials peers learnt by peer exchange (and LAN discovery) while fewer than
// Config.PeersLow are connected, reconnects Config.Direct and bootstrap
// peers, and disconnects (transport.Conn.Disconnect) graylisted peers and,
// above Config.PeersHigh, the surplus chosen in trim.go. A disconnected
// peer is neither dialled nor accepted for Config.DisconnectBackoff.
//
// # Typed topics
//
// Applications normally use package topic, which builds typed handles on
// the lower-level API here: JoinTopic returns a TopicHandle with Publish,
// Subscribe and SetValidator over raw bytes.
//
// # Concurrency
//
// Every exported method of Node, TopicHandle and Subscription is safe for
// concurrent use. Close ends every goroutine the node started before it
// returns.
package node
