package node

import (
	"errors"
	"fmt"
	"syscall"
)

// Errors returned by the node and its handles. Compare with errors.Is.
var (
	// ErrConfig wraps every problem New finds in a Config; those of
	// Validate, and an unreadable identity file, are *ConfigError.
	ErrConfig = errors.New("node: invalid config")
	// ErrListen: New could not bind Config.Listen (the address is in use,
	// is not one of this host's, or needs privileges); the error wraps the
	// operating system's too (errors.Is(err, syscall.EADDRINUSE)). Nothing
	// was started.
	ErrListen = errors.New("node: cannot listen")
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
	// was meant for because their send queues are full. From Publish it
	// comes inside a *PublishError: the message is in the message cache
	// and may still spread by gossip, but the caller should slow down.
	// With TopicOptions.WaitForRoom it also means that ctx ended while
	// Publish waited for room; then nothing was published.
	ErrQueueFull = errors.New("node: send queues full")
	// ErrPartial: the message was queued to some of the peers it was meant
	// for and refused by the full send queues of the others; it comes
	// inside a *PublishError. The message left: the peers that got it
	// forward it, and the message cache offers it by gossip.
	ErrPartial = errors.New("node: message queued to some peers only")
	// ErrRejected: the topic's validator rejected (or ignored) a message
	// being published; nothing was published.
	ErrRejected = errors.New("node: message rejected by validator")
	// ErrDuplicate: the message id was seen recently (under StrictNoSign,
	// identical data in the same topic); nothing was sent.
	ErrDuplicate = errors.New("node: duplicate message")
	// ErrNoPeers: too few peers in the topic. From WaitPeers, and from
	// Publish with TopicOptions.MinPeers, fewer than k were subscribed
	// when ctx ended; nothing was published. From Publish otherwise it
	// comes inside a *PublishError: the message was published to no peer
	// (none was subscribed, or none scored high enough) and waits in the
	// message cache, where only peers that join within the gossip window
	// may still get it.
	ErrNoPeers = errors.New("node: too few topic peers")
	// ErrBadAddress: an address ("host:port" or "<peer-id>@host:port")
	// does not parse or resolve.
	ErrBadAddress = errors.New("node: bad address")
)

// ConfigError is one problem New found in a Config. Validate returns them
// joined (errors.Join); New returns Validate's error, or one ConfigError
// for a problem only found when starting (an unreadable identity file). It
// wraps ErrConfig and, when there is one, the cause (ErrBadAddress for an
// address that does not parse).
type ConfigError struct {
	// Field is the Config field, with the index for a list entry:
	// "Listen", "Bootstrap[1]", "IdentityFile", "MTU".
	Field string
	// Value is the field's value when it is text (an address, a file
	// name); "" otherwise.
	Value string
	// Problem says what is wrong, in a few words without package
	// prefixes: "missing port in address", "MTU 100 outside 576..65000".
	Problem string
	// Err is the cause, or nil.
	Err error
}

func (e *ConfigError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%v: %s %q: %s", ErrConfig, e.Field, e.Value, e.Problem)
	}
	return fmt.Sprintf("%v: %s: %s", ErrConfig, e.Field, e.Problem)
}

// Unwrap returns ErrConfig and the cause, if any.
func (e *ConfigError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrConfig}
	}
	return []error{ErrConfig, e.Err}
}

// listenError is New's error when binding Config.Listen fails: it wraps
// ErrListen and the transport's error, and says the operating system's
// reason briefly ("address already in use").
type listenError struct {
	addr string
	err  error
}

func (e *listenError) Error() string {
	reason := e.err.Error()
	var errno syscall.Errno
	if errors.As(e.err, &errno) {
		reason = errno.Error()
	}
	return fmt.Sprintf("%v on %s: %s", ErrListen, e.addr, reason)
}

func (e *listenError) Unwrap() []error { return []error{ErrListen, e.err} }

// PublishError is the error of a Publish that published the message (it
// has an id, was delivered to the node's own subscriptions and is in the
// message cache, from which gossip may still carry it) but could not queue
// it to every peer it was meant for. Unwrap says which loss: ErrNoPeers
// (meant for no peer), ErrQueueFull (every peer's send queue refused it)
// or ErrPartial (Queued peers got it, Refused did not). Publishing the
// same data again makes a second message (under StrictNoSign it fails with
// ErrDuplicate while the first is remembered).
type PublishError struct {
	// ID is the message id, as Publish returns it; Topic the topic.
	ID    string
	Topic string
	// Queued counts the peers whose send queue took the message; Refused
	// the peers whose queue refused it (or, rarely, whose session had
	// just ended).
	Queued, Refused int
}

// Unwrap returns ErrNoPeers, ErrQueueFull or ErrPartial.
func (e *PublishError) Unwrap() error {
	switch {
	case e.Queued == 0 && e.Refused == 0:
		return ErrNoPeers
	case e.Queued == 0:
		return ErrQueueFull
	default:
		return ErrPartial
	}
}

func (e *PublishError) Error() string {
	switch {
	case e.Queued == 0 && e.Refused == 0:
		return fmt.Sprintf("node: published to no peer of topic %q: "+
			"the message stays in the message cache and may reach peers that join within the gossip window", e.Topic)
	case e.Queued == 0:
		return fmt.Sprintf("node: send queues full: no peer of topic %q took the message (%d refused; "+
			"it stays in the message cache for gossip; slow down)", e.Topic, e.Refused)
	default:
		return fmt.Sprintf("node: message queued to %d of %d peers of topic %q; the others' send queues were full "+
			"(the peers that got it forward it)", e.Queued, e.Queued+e.Refused, e.Topic)
	}
}
