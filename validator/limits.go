package validator

import (
	"errors"
	"fmt"
)

// Errors returned by Limiter.Acquire. State is unchanged when they are
// returned.
var (
	// ErrThrottled: the global limit on validations in flight is reached.
	ErrThrottled = errors.New("validator: too many validations in flight")
	// ErrTopicThrottled: the per-topic limit is reached for the topic.
	ErrTopicThrottled = errors.New("validator: too many validations in flight for topic")
)

// Limiter counts asynchronous validations in flight, globally and per topic,
// and refuses new ones over either limit. Its memory is one counter per
// topic with validations in flight. The zero value is unusable; use
// NewLimiter. Not safe for concurrent use.
type Limiter struct {
	global, perTopic int
	total            int
	topics           map[string]int
}

// NewLimiter returns a Limiter allowing at most global validations in flight
// in total and perTopic in any one topic. A limit ≤ 0 means no limit.
func NewLimiter(global, perTopic int) *Limiter {
	return &Limiter{global: global, perTopic: perTopic, topics: make(map[string]int)}
}

// Acquire records one more validation in flight for topic, or returns
// ErrThrottled or ErrTopicThrottled (wrapped with the topic) when a limit is
// reached.
func (l *Limiter) Acquire(topic string) error {
	if l.global > 0 && l.total >= l.global {
		return ErrThrottled
	}
	n := l.topics[topic]
	if l.perTopic > 0 && n >= l.perTopic {
		return fmt.Errorf("%w %q", ErrTopicThrottled, topic)
	}
	l.topics[topic] = n + 1
	l.total++
	return nil
}

// Release records that one validation for topic finished. Releasing more
// than was acquired is an internal invariant violation and panics.
func (l *Limiter) Release(topic string) {
	n, ok := l.topics[topic]
	if !ok || n <= 0 {
		panic("validator: Release without Acquire for topic " + topic)
	}
	if n == 1 {
		delete(l.topics, topic)
	} else {
		l.topics[topic] = n - 1
	}
	l.total--
}

// InFlight returns the number of validations in flight in total and for
// topic.
func (l *Limiter) InFlight(topic string) (total, inTopic int) {
	return l.total, l.topics[topic]
}
