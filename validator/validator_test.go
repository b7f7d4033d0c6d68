package validator

import (
	"errors"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, 2)
	steps := []struct {
		topic string
		err   error
	}{
		{"a", nil}, {"a", nil}, {"a", ErrTopicThrottled}, {"b", nil}, {"c", ErrThrottled},
	}
	for i, s := range steps {
		if err := l.Acquire(s.topic); !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
			t.Fatalf("step %d: %v, want %v", i, err, s.err)
		}
	}
	l.Release("a")
	if err := l.Acquire("c"); err != nil {
		t.Fatal("release did not free a global slot")
	}
	if total, a := l.InFlight("a"); total != 3 || a != 1 {
		t.Fatalf("in flight %d/%d", total, a)
	}
}

func TestPendingExpiresInOrder(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := NewPending[string]()
	for i := uint64(1); i <= 3; i++ {
		p.Add(i, "v", t0.Add(time.Duration(i)*time.Second))
	}
	if v, ok := p.Take(2); !ok || v != "v" {
		t.Fatal("Take")
	}
	if _, ok := p.Take(2); ok {
		t.Fatal("taken twice")
	}
	if p.Next() != t0.Add(time.Second) {
		t.Fatal("Next")
	}
	var expired []uint64
	p.Expire(t0.Add(3*time.Second), func(id uint64, _ string) { expired = append(expired, id) })
	if len(expired) != 2 || expired[0] != 1 || expired[1] != 3 || p.Len() != 0 || !p.Next().IsZero() {
		t.Fatalf("expired %v", expired)
	}
}

func TestResultString(t *testing.T) {
	for r, s := range map[Result]string{Accept: "accept", Reject: "reject", Ignore: "ignore", 0: "invalid"} {
		if r.String() != s || r.Valid() != (s != "invalid") {
			t.Errorf("%d: %q", r, r.String())
		}
	}
}
