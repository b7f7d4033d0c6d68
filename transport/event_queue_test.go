package transport

import (
	"bytes"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
)

func payloadEvent(id byte, n int) Event {
	var p peer.ID
	p[0] = id
	return Event{Kind: EventPayload, Peer: p, Payload: bytes.Repeat([]byte{id}, n)}
}

// The byte budget holds whatever the count allows, and one peer flooding
// gets at most its share of it: another peer's payloads still get in.
func TestEventBytesPerPeerShare(t *testing.T) {
	const budget = 64 << 10
	stop := make(chan struct{})
	defer close(stop)
	q := newEventQueue(10000, budget, stop)
	go q.pump()
	cost := eventCost(payloadEvent(1, 1000))
	var aBytes int
	for {
		ok, cause := deliverOne(q, payloadEvent(1, 1000))
		if !ok {
			if cause != DropEventPeerShare {
				t.Fatalf("flooder refused with %v, want %v", cause, DropEventPeerShare)
			}
			break
		}
		aBytes += cost
	}
	if aBytes > budget/2 || aBytes < budget/2-cost {
		t.Fatalf("lone flooder holds %d bytes, want about half of %d", aBytes, budget)
	}
	// A second peer gets half of what is left while the first waits: no
	// more than the room it leaves.
	var bBytes int
	for {
		if ok, _ := deliverOne(q, payloadEvent(2, 1000)); !ok {
			break
		}
		bBytes += cost
	}
	if left := budget - aBytes; bBytes < left/2-cost || bBytes > left/2 || q.bytes > budget {
		t.Fatalf("second peer got %d bytes of the %d left, total %d of %d", bBytes, left, q.bytes, budget)
	}
	// A third peer with nothing queued still finds room.
	if ok, cause := deliverOne(q, payloadEvent(3, 1000)); !ok {
		t.Fatalf("third peer refused: %v", cause)
	}
	// What the consumer takes is given back: the flooder's oldest events
	// leave and, below its share again, it is admitted again.
	if ok, _ := deliverOne(q, payloadEvent(1, 1000)); ok {
		t.Fatal("flooder over its share admitted")
	}
	for range 20 {
		<-q.ch
	}
	if ok, cause := deliverOne(q, payloadEvent(1, 1000)); !ok {
		t.Fatalf("flooder refused after the consumer read: %v", cause)
	}
	// Drained, everything is released exactly.
	for len(q.ch) > 0 {
		<-q.ch
	}
	q.mu.Lock()
	q.release()
	if q.bytes != 0 || len(q.perPeer) != 0 || q.flight.n != 0 || q.backlog.n != 0 {
		t.Fatalf("after draining: %d bytes, %d peers, %d charges", q.bytes, len(q.perPeer), q.flight.n)
	}
	q.mu.Unlock()
}

// Peers with a few events queued do not hold a busy peer to a 1/(n+1)
// share: it may still take up to the room the others leave, and once it
// holds that, a newcomer still finds room. Events and bytes alike.
func TestEventShareFollowsRoom(t *testing.T) {
	for _, tc := range []struct {
		name          string
		count, budget int
		size          int // payload bytes
	}{
		{"by count", 1000, 64 << 20, 10},
		{"by bytes", 1 << 20, 64 << 10, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop := make(chan struct{})
			defer close(stop)
			q := newEventQueue(tc.count, tc.budget, stop)
			go q.pump()
			const light = 9
			for id := range byte(light) {
				if ok, cause := deliverOne(q, payloadEvent(100+id, tc.size)); !ok {
					t.Fatalf("light peer %d refused: %v", id, cause)
				}
			}
			busy := 0
			for {
				if ok, cause := deliverOne(q, payloadEvent(1, tc.size)); !ok {
					if cause != DropEventPeerShare {
						t.Fatalf("busy peer refused with %v, want %v", cause, DropEventPeerShare)
					}
					break
				}
				busy++
			}
			cost := eventCost(payloadEvent(1, tc.size))
			limit := min(tc.count, tc.budget/cost) // events the queue holds
			// Within one event of half the room the light peers leave; a
			// fixed share of 1/(light+2) would stop it at a tenth.
			if want := (limit - light) / 2; busy < want-1 || busy > want {
				t.Fatalf("busy peer holds %d events beside %d light ones, want about %d of %d", busy, light, want, limit)
			}
			if ok, cause := deliverOne(q, payloadEvent(50, tc.size)); !ok {
				t.Fatalf("newcomer refused: %v", cause)
			}
		})
	}
}

// Up/down events are never dropped: with the channel full, emit waits;
// payloads arriving meanwhile are dropped rather than overtake it.
func TestEventUpDownWaitInOrder(t *testing.T) {
	stop := make(chan struct{})
	q := newEventQueue(4, 1<<20, stop)
	go q.pump()
	up := func(id byte) Event {
		var p peer.ID
		p[0] = id
		return Event{Kind: EventPeerUp, Peer: p}
	}
	for i := range 4 {
		q.emit(up(byte(i)))
	}
	emitted := make(chan struct{})
	go func() {
		q.emit(Event{Kind: EventPeerDown, Peer: up(1).Peer})
		q.emit(up(9))
		close(emitted)
	}()
	testkit.Eventually(t, 5*time.Second, "the down event waits in line", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.waiting > 0
	})
	if ok, cause := deliverOne(q, payloadEvent(7, 10)); ok || cause != DropEventQueueFull {
		t.Fatalf("payload while an up/down event waits: ok %v cause %v", ok, cause)
	}
	var kinds []EventKind
	for range 6 {
		kinds = append(kinds, (<-q.ch).Kind)
	}
	<-emitted
	want := []EventKind{EventPeerUp, EventPeerUp, EventPeerUp, EventPeerUp, EventPeerDown, EventPeerUp}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	close(stop)
}

// deliverOne admits one payload event as the reader does a packet's, and
// says whether it was taken and, if not, why.
func deliverOne(q *eventQueue, ev Event) (ok bool, cause DropCause) {
	ok = true
	q.deliverAll([]Event{ev}, func(c DropCause) { ok, cause = false, c })
	return ok, cause
}

// The queue holds EventQueue events without reserving room for them: an
// idle queue holds a small channel and nothing else, a burst grows the
// backlog, and the consumer gets every event in order; once the burst is
// over, the memory goes back. The count bound still holds (a lone peer gets half).
func TestEventBacklogGrowsOnDemand(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	const count = 4096
	q := newEventQueue(count, 64<<20, stop)
	if cap(q.ch) > eventChanCap || q.backlog.buf != nil || q.flight.buf != nil {
		t.Fatalf("idle queue reserves: channel %d, backlog %d, flight %d", cap(q.ch), len(q.backlog.buf), len(q.flight.buf))
	}
	go q.pump()
	ev := func(i int) Event {
		e := payloadEvent(1, 4)
		e.Payload[0], e.Payload[1] = byte(i), byte(i>>8)
		return e
	}
	for i := range count / 2 {
		if ok, cause := deliverOne(q, ev(i)); !ok {
			t.Fatalf("event %d refused: %v", i, cause)
		}
	}
	if ok, cause := deliverOne(q, ev(count/2)); ok || cause != DropEventPeerShare {
		t.Fatalf("lone peer over half the count: ok %v cause %v", ok, cause)
	}
	q.mu.Lock()
	grown := q.backlog.n
	q.mu.Unlock()
	if grown == 0 {
		t.Fatal("nothing in the backlog: the channel holds everything")
	}
	if n, limit := q.queued(); n != count/2 || limit != count {
		t.Fatalf("queued %d of %d, want %d of %d", n, limit, count/2, count)
	}
	for i := range count / 2 {
		got := <-q.ch
		if n := int(got.Payload[0]) | int(got.Payload[1])<<8; n != i {
			t.Fatalf("event %d arrived as %d", i, n)
		}
	}
	// The buffers stay while the backlog is in use; once traffic flows
	// without it for as many events as it holds, they go back.
	for i := range count {
		if ok, _ := deliverOne(q, ev(i)); !ok {
			t.Fatal("refused after draining")
		}
		<-q.ch
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.release()
	if q.held() != 0 || q.bytes != 0 || len(q.backlog.buf) > ringKeep || len(q.flight.buf) > ringKeep {
		t.Fatalf("drained: held %d, bytes %d, backlog %d, flight %d", q.held(), q.bytes, len(q.backlog.buf), len(q.flight.buf))
	}
}
