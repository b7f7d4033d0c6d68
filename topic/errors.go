package topic

import (
	"errors"

	"github.com/gwyh/gwyh/node"
)

// Errors returned by topic handles. They are the node package's sentinels,
// so errors.Is matches either name.
var (
	// ErrTopicClosed: the Topic was closed.
	ErrTopicClosed = node.ErrTopicClosed
	// ErrClosed: the node was closed.
	ErrClosed = node.ErrClosed
	// ErrTooLarge: the encoded value is larger than the node's
	// MaxMessageSize.
	ErrTooLarge = node.ErrTooLarge
	// ErrBadTopic: the topic name is invalid.
	ErrBadTopic = node.ErrBadTopic
	// ErrQueueFull: no peer's send queue had room for the message (see
	// node.ErrQueueFull).
	ErrQueueFull = node.ErrQueueFull
	// ErrNoPeers: the value was published to no peer, or WithMinPeers'
	// peers were not there when ctx ended (see node.ErrNoPeers).
	ErrNoPeers = node.ErrNoPeers
	// ErrPartial: the value was queued to some peers only; the others'
	// send queues were full (see node.ErrPartial).
	ErrPartial = node.ErrPartial
	// ErrRejected: the topic's validator rejected or ignored the value
	// being published; nothing was published.
	ErrRejected = node.ErrRejected
	// ErrCanceled: the subscription was cancelled.
	ErrCanceled = node.ErrCanceled
	// ErrEncode: the codec could not encode the value; nothing was sent.
	ErrEncode = errors.New("topic: encode failed")
	// ErrValidatorType: WithValidator was given a function for another
	// value type than the Topic's.
	ErrValidatorType = errors.New("topic: validator for another type")
)
