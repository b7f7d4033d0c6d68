package transport

import (
	"bytes"
	"fmt"
	"testing"
)

func item(n int, tag byte) queueItem {
	return queueItem{buf: appendPayloadFrame(nil, bytes.Repeat([]byte{tag}, n-payloadFrameHeader))}
}

func TestSendQueuePriorities(t *testing.T) {
	type push struct {
		prio    Priority
		size    int
		ok      bool
		evicted int
	}
	tests := []struct {
		name   string
		limit  int
		pushes []push
		drops  [NumPriorities]uint64
		bytes  int
	}{
		{"fits", 100, []push{{PriorityGossip, 50, true, 0}, {PriorityMessage, 50, true, 0}}, [3]uint64{}, 100},
		{"full same priority", 100, []push{{PriorityMessage, 60, true, 0}, {PriorityMessage, 60, false, 0}}, [3]uint64{0, 1, 0}, 60},
		{"evicts lower", 100, []push{{PriorityGossip, 60, true, 0}, {PriorityControl, 60, true, 1}}, [3]uint64{1, 0, 0}, 60},
		{"evicts lowest first", 100, []push{{PriorityGossip, 30, true, 0}, {PriorityMessage, 30, true, 0}, {PriorityGossip, 30, true, 0}, {PriorityControl, 40, true, 1}},
			[3]uint64{1, 0, 0}, 100},
		{"never evicts higher", 100, []push{{PriorityControl, 80, true, 0}, {PriorityGossip, 30, false, 0}}, [3]uint64{1, 0, 0}, 80},
		{"evicts several", 100, []push{{PriorityGossip, 30, true, 0}, {PriorityGossip, 30, true, 0}, {PriorityGossip, 30, true, 0}, {PriorityMessage, 90, true, 3}},
			[3]uint64{3, 0, 0}, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := sendQueue{limit: tt.limit}
			for i, p := range tt.pushes {
				ok, ev := q.push(p.prio, item(p.size, byte(i)))
				if ok != p.ok || ev != p.evicted {
					t.Fatalf("push %d: ok=%v evicted=%d, want %v %d", i, ok, ev, p.ok, p.evicted)
				}
			}
			if q.drops != tt.drops || q.bytes != tt.bytes {
				t.Fatalf("drops %v bytes %d, want %v %d", q.drops, q.bytes, tt.drops, tt.bytes)
			}
		})
	}
}

func TestSendQueueFillOrderAndPartial(t *testing.T) {
	q := sendQueue{limit: 1 << 20}
	q.push(PriorityGossip, item(10, 'g'))
	q.push(PriorityMessage, item(10, 'm'))
	q.push(PriorityControl, item(10, 'c'))
	frag := queueItem{buf: appendFragmentFrame(appendFragmentFrame(nil, 1, 0, 2, bytes.Repeat([]byte{'f'}, 600)), 1, 1, 2, []byte("end"))}
	q.push(PriorityMessage, frag)
	got := q.fill(nil, 30)
	want := append(append(item(10, 'c').buf, item(10, 'm').buf...), item(10, 'g').buf...)
	if len(got) != 30 || !bytes.Equal(got, want) {
		t.Fatalf("first packet = %q, want control, message, then gossip in the room the fragment left", got)
	}
	// The large fragment does not fit what is left of a 30-byte packet but
	// goes first in the next one.
	got = q.fill(nil, 620)
	if len(got) != fragmentFrameHeader+600 || frameLen(got) != len(got) {
		t.Fatalf("second packet starts with % x", got[:4])
	}
	// A partly sent item is not evicted.
	if q.q[PriorityMessage].len() != 1 {
		t.Fatal("fragment item should still be queued")
	}
	if _, ok := q.q[PriorityMessage].popBack(); ok {
		t.Fatal("partly sent item evicted")
	}
	got = q.fill(nil, 700)
	if !bytes.Contains(got, []byte("end")) || bytes.Contains(got, []byte("ggggggg")) {
		t.Fatalf("third packet %q", got)
	}
	if !q.empty() {
		t.Fatalf("queue not empty: %d bytes", q.bytes)
	}
}

// fill packs a peer's queue into as few packets as frame boundaries and
// per-priority order allow: when a higher priority's next frame does not
// fit, lower priorities' smaller frames fill the packet.
func TestSendQueueFillPacks(t *testing.T) {
	const room = 1368 // MTU 1400 less the data overhead
	tests := []struct {
		name   string
		pushes []struct {
			prio        Priority
			size, count int
		}
		packets []int // frame bytes per packet
	}{
		{"small payloads share packets", []struct {
			prio        Priority
			size, count int
		}{{PriorityMessage, 103, 30}},
			[]int{13 * 103, 13 * 103, 4 * 103}},
		{"lower priority fills behind a big frame", []struct {
			prio        Priority
			size, count int
		}{
			{PriorityControl, 1000, 1}, {PriorityMessage, 1200, 1}, {PriorityGossip, 43, 8}},
			[]int{1000 + 8*43, 1200}},
		{"order kept within a priority", []struct {
			prio        Priority
			size, count int
		}{
			{PriorityMessage, 1000, 1}, {PriorityMessage, 1200, 1}, {PriorityMessage, 300, 1}},
			[]int{1000, 1200, 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := sendQueue{limit: 1 << 20}
			for _, p := range tt.pushes {
				for range p.count {
					if ok, _ := q.push(p.prio, item(p.size, byte(p.prio))); !ok {
						t.Fatal("push refused")
					}
				}
			}
			var got []int
			for !q.empty() {
				got = append(got, len(q.fill(nil, room)))
				if len(got) > 100 {
					t.Fatal("fill makes no progress")
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.packets) {
				t.Fatalf("packets of %v bytes, want %v", got, tt.packets)
			}
		})
	}
}
