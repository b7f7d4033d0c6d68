package validator

import "time"

// Pending tracks asynchronous validations in flight by id, with one deadline
// each. Deadlines must be added in non-decreasing order (one fixed timeout
// after a monotonic now), so expiry is a scan from the front of a queue.
// Memory is proportional to the validations in flight plus those finished
// but not yet popped from the queue (bounded by the ids added within one
// timeout). The zero value is unusable; use NewPending. Not safe for
// concurrent use.
type Pending[T any] struct {
	items map[uint64]T
	queue []deadline
	head  int
}

type deadline struct {
	id uint64
	at time.Time
}

// NewPending returns an empty Pending.
func NewPending[T any]() *Pending[T] {
	return &Pending[T]{items: make(map[uint64]T)}
}

// Add records validation id with its value and deadline. Adding an id twice
// replaces the value; the earlier deadline still applies.
func (p *Pending[T]) Add(id uint64, v T, at time.Time) {
	if _, ok := p.items[id]; !ok {
		p.queue = append(p.queue, deadline{id: id, at: at})
	}
	p.items[id] = v
}

// Take removes and returns validation id; ok is false when it is not in
// flight (never added, already taken, or expired).
func (p *Pending[T]) Take(id uint64) (v T, ok bool) {
	v, ok = p.items[id]
	if ok {
		delete(p.items, id)
	}
	return v, ok
}

// Len returns the number of validations in flight.
func (p *Pending[T]) Len() int { return len(p.items) }

// Next returns the earliest deadline of a validation still in flight, or the
// zero time when none is.
func (p *Pending[T]) Next() time.Time {
	p.skipTaken()
	if p.head == len(p.queue) {
		return time.Time{}
	}
	return p.queue[p.head].at
}

// Expire removes every validation whose deadline is at or before now, in
// deadline order, calling fn for each.
func (p *Pending[T]) Expire(now time.Time, fn func(id uint64, v T)) {
	for {
		p.skipTaken()
		if p.head == len(p.queue) || p.queue[p.head].at.After(now) {
			return
		}
		d := p.queue[p.head]
		p.head++
		v := p.items[d.id]
		delete(p.items, d.id)
		fn(d.id, v)
	}
}

// skipTaken drops queue entries whose validation already finished, and
// compacts the queue when its dead prefix dominates.
func (p *Pending[T]) skipTaken() {
	for p.head < len(p.queue) {
		if _, ok := p.items[p.queue[p.head].id]; ok {
			break
		}
		p.head++
	}
	if p.head > 64 && p.head*2 > len(p.queue) {
		n := copy(p.queue, p.queue[p.head:])
		p.queue = p.queue[:n]
		p.head = 0
	}
}
