package node

import "errors"

// Errors returned by the node and its handles. Compare with errors.Is.
var (
	// ErrConfig wraps every problem New finds in a Config.
	ErrConfig = errors.New("node: invalid config")
	// ErrClosed: the node (or the handle's topic) is closed; nothing was
	// done.
	ErrClosed = errors.New("node: closed")
	// ErrTopicClosed: the topic handle was closed; nothing was done.
	ErrTopicClosed = errors.New("node: topic closed")
	// ErrTooLarge: a message is larger than Config.MaxMessageSize; nothing
	// was sent.
	ErrTooLarge = errors.New("node: message too large")
	// ErrBadTopic: a topic name is empty, too long or not valid UTF-8.
	ErrBadTopic = errors.New("node: invalid topic name")
	// ErrJoined: the topic already has a handle on this node.
	ErrJoined = errors.New("node: topic already joined")
	// ErrQueueFull: the message could not be queued to any of the peers it
	// was meant for because their send queues are full. The message is in
	// the message cache and may still spread by gossip, but the caller
	// should slow down.
	ErrQueueFull = errors.New("node: send queues full")
	// ErrRejected: the local validator rejected (or ignored) a message
	// being published; nothing was sent.
	ErrRejected = errors.New("node: message rejected by validator")
	// ErrDuplicate: the message id was seen recently (under StrictNoSign,
	// identical data in the same topic); nothing was sent.
	ErrDuplicate = errors.New("node: duplicate message")
	// ErrNoPeers: fewer peers than TopicOptions.MinPeers (or WaitPeers'
	// k) were subscribed to the topic when ctx ended; nothing was sent.
	ErrNoPeers = errors.New("node: too few topic peers")
	// ErrBadAddress: an address ("host:port" or "<peer-id>@host:port")
	// does not parse or resolve.
	ErrBadAddress = errors.New("node: bad address")
)
