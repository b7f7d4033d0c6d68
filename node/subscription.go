package node

import (
	"context"
	"errors"
	"sync"

	"github.com/gwyh/gwyh/peer"
)

// ErrCanceled: the subscription was cancelled.
var ErrCanceled = errors.New("node: subscription canceled")

// Message is a message delivered to a subscription.
type Message struct {
	// ID is the message id (Config.MessageID).
	ID    string
	Topic string
	// Data is shared with the router's message cache: read only. It stays
	// valid for as long as the caller keeps it.
	Data []byte
	// From is the author (zero under StrictNoSign).
	From peer.ID
	// ReceivedFrom is the peer that forwarded it (this node when Local).
	ReceivedFrom peer.ID
	// Local is true for this node's own publishes.
	Local bool
}

// Subscription receives a topic's messages into a bounded ring buffer.
// When the buffer is full the oldest message is dropped and counted
// (Lost): a slow subscriber never blocks the node or other subscribers.
// Safe for concurrent use.
type Subscription struct {
	h      *TopicHandle
	mu     sync.Mutex
	ring   []Message // grows by doubling up to size
	size   int
	head   int
	count  int
	lost   uint64
	err    error         // set when the subscription ends
	notify chan struct{} // capacity 1: "a message arrived"
	done   chan struct{} // closed when the subscription ends
}

func newSubscription(h *TopicHandle, size int) *Subscription {
	return &Subscription{
		h: h, ring: make([]Message, min(size, 16)), size: size,
		notify: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// grow doubles the ring (up to size), keeping the messages in order.
func (s *Subscription) grow() {
	ring := make([]Message, min(2*len(s.ring), s.size))
	for i := range s.count {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	s.ring, s.head = ring, 0
}

// push appends m, dropping the oldest message when full. Called by the
// event loop.
func (s *Subscription) push(m Message) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	if s.count == len(s.ring) && len(s.ring) < s.size {
		s.grow()
	}
	if s.count == len(s.ring) {
		s.ring[s.head] = Message{}
		s.head = (s.head + 1) % len(s.ring)
		s.count--
		s.lost++
	}
	s.ring[(s.head+s.count)%len(s.ring)] = m
	s.count++
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next returns the oldest buffered message, waiting until one arrives or
// ctx ends. After the subscription ends it returns ErrCanceled,
// ErrTopicClosed or ErrClosed (buffered messages are discarded).
func (s *Subscription) Next(ctx context.Context) (Message, error) {
	for {
		s.mu.Lock()
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return Message{}, err
		}
		if s.count > 0 {
			m := s.ring[s.head]
			s.ring[s.head] = Message{}
			s.head = (s.head + 1) % len(s.ring)
			s.count--
			s.mu.Unlock()
			return m, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-s.done:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Lost returns how many messages were dropped because the buffer was full.
func (s *Subscription) Lost() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// Buffered returns the number of messages waiting in the buffer.
func (s *Subscription) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Cancel ends the subscription: Next returns ErrCanceled. Idempotent.
func (s *Subscription) Cancel() {
	s.end(ErrCanceled)
	s.h.removeSub(s)
}

// end sets the terminal error once and wakes a waiting Next.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
		s.ring, s.count = nil, 0
		close(s.done)
	}
	s.mu.Unlock()
}
