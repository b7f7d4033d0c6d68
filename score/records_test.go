package score

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// ringOp is one step of a script on deliveryRecords: add the record of
// id at `at` (with the handles in peers as later senders), or, with id
// "", expire at `at`.
type ringOp struct {
	id    string
	at    time.Duration
	peers []peerHandle
}

func TestDeliveryRecordsRing(t *testing.T) {
	add := func(id string, at time.Duration, peers ...peerHandle) ringOp { return ringOp{id, at, peers} }
	expire := func(at time.Duration) ringOp { return ringOp{at: at} }
	ids := func(prefix string, from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprint(prefix, i))
		}
		return out
	}
	script := func(prefix string, from, to int, at time.Duration) []ringOp {
		var out []ringOp
		for _, id := range ids(prefix, from, to) {
			out = append(out, add(id, at, peerHandle(len(id)), peerHandle(len(id)+1)))
		}
		return out
	}
	cases := []struct {
		name     string
		max      int
		ops      []ringOp
		want     []string // live ids, oldest first
		wantRing int      // ring size
		evicted  int
		expired  int
	}{{
		name:     "first ring",
		max:      100,
		ops:      script("m", 0, 3, 0),
		want:     ids("m", 0, 3),
		wantRing: minRing,
	}, {
		name:     "first ring at a small bound",
		max:      3,
		ops:      script("m", 0, 5, 0),
		want:     ids("m", 2, 5),
		wantRing: 4,
		evicted:  2,
	}, {
		name: "growth with live records wrapping around",
		max:  100,
		// a0..a2 and b0..b4 fill the ring of 8, the a's expire, c0..c2
		// wrap around to slots 0..2, c3 doubles the ring with its oldest
		// record (b0) in slot 3, and c8 wraps around the ring of 16.
		ops: slices.Concat(script("a", 0, 3, 0), script("b", 0, 5, time.Second),
			[]ringOp{expire(DefaultDeliveryRecordTTL)}, script("c", 0, 9, time.Second)),
		want:     slices.Concat(ids("b", 0, 5), ids("c", 0, 9)),
		wantRing: 16,
		expired:  3,
	}, {
		name: "growth after every record left",
		max:  100,
		ops: slices.Concat(script("a", 0, 8, 0), []ringOp{expire(DefaultDeliveryRecordTTL)},
			script("b", 0, 5, time.Second), script("c", 0, 20, time.Second)),
		want:     slices.Concat(ids("b", 0, 5), ids("c", 0, 20)),
		wantRing: 32,
		expired:  8,
	}, {
		name:     "eviction by count keeps the newest",
		max:      5,
		ops:      script("m", 0, 12, 0),
		want:     ids("m", 7, 12),
		wantRing: 8,
		evicted:  7,
	}, {
		name: "expiry by TTL stops at the first record not expired",
		max:  100,
		ops: []ringOp{add("a", 0), add("b", time.Second), add("c", 2*time.Second),
			expire(DefaultDeliveryRecordTTL + time.Second - 1), // a only
			expire(DefaultDeliveryRecordTTL + time.Second)},    // b at exactly its TTL
		want:     []string{"c"},
		wantRing: minRing,
		expired:  2,
	}, {
		name: "expiry follows creation order, not time",
		max:  100,
		// now went back: b, created after a, was first seen before it.
		ops:      []ringOp{add("a", time.Minute), add("b", 0), expire(DefaultDeliveryRecordTTL)},
		want:     []string{"a", "b"},
		wantRing: minRing,
	}, {
		name: "an id added again after its record left",
		max:  2,
		ops: []ringOp{add("a", 0, 7, 8), add("b", 0), add("c", 0), // a evicted
			add("a", 0), expire(DefaultDeliveryRecordTTL), add("b", time.Minute, 9)},
		want:     []string{"b"},
		wantRing: 2,
		evicted:  2,
		expired:  2,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d deliveryRecords
			d.init(0, tc.max)
			evicted, expired := 0, 0
			peers := map[string][]peerHandle{}
			for _, op := range tc.ops {
				if op.id == "" {
					expired += d.expire(at(op.at))
					continue
				}
				if r, _ := d.get(op.id); r != nil {
					t.Fatalf("add %s: already recorded", op.id)
				}
				r, seq, n := d.add(at(op.at), op.id, "t"+op.id, peerHandle(seq32(op.id)))
				evicted += n
				if r.status != statusValidating || len(r.peers) != 0 {
					t.Fatalf("add %s: new record %+v", op.id, *r)
				}
				for _, h := range op.peers {
					r.addPeer(h)
				}
				peers[op.id] = op.peers
				if got, gotSeq := d.get(op.id); got != r || gotSeq != seq {
					t.Fatalf("add %s: get returns another record", op.id)
				}
			}
			var live []string
			for seq := d.head; seq < d.tail; seq++ {
				r := d.at(seq)
				live = append(live, r.id)
				if got, gotSeq := d.getBytes([]byte(r.id)); got != r || gotSeq != seq {
					t.Errorf("record %s: getBytes returns another record", r.id)
				}
				if r.topic != "t"+r.id || r.from != peerHandle(seq32(r.id)) || !slices.Equal(r.peers, peers[r.id]) {
					t.Errorf("record %s: topic %q from %d peers %v", r.id, r.topic, r.from, r.peers)
				}
			}
			if !slices.Equal(live, tc.want) || d.len() != len(tc.want) || len(d.byID) != len(tc.want) {
				t.Errorf("live %v (len %d, %d mapped), want %v", live, d.len(), len(d.byID), tc.want)
			}
			if len(d.ring) != tc.wantRing || evicted != tc.evicted || expired != tc.expired {
				t.Errorf("ring %d evicted %d expired %d, want %d, %d, %d",
					len(d.ring), evicted, expired, tc.wantRing, tc.evicted, tc.expired)
			}
			// Slots not in use hold no id (the message ids are let go).
			for i := range d.ring {
				if seq := d.head + uint64((i-int(d.head))&(len(d.ring)-1)); seq >= d.tail && d.ring[i].id != "" {
					t.Errorf("free slot %d holds %q", i, d.ring[i].id)
				}
			}
		})
	}
}

// seq32 is a handle derived from id, to check records keep their fields.
func seq32(id string) uint32 {
	var h uint32
	for _, c := range []byte(id) {
		h = h*31 + uint32(c)
	}
	return h % 1000
}

// A slot's peers array is reused by the records after it: at steady
// state a record allocates nothing.
func TestDeliveryRecordsReuse(t *testing.T) {
	var d deliveryRecords
	d.init(time.Second, 4)
	ids := msgIDs(64)
	step := func(i int) {
		r, _, _ := d.add(at(time.Duration(i)*time.Millisecond), ids[i%len(ids)], "t", 0)
		for h := range peerHandle(6) {
			r.addPeer(h + 1)
		}
	}
	for i := range 8 {
		step(i)
	}
	i := 8
	if n := testing.AllocsPerRun(100, func() { step(i); i++ }); n != 0 {
		t.Fatalf("%v allocations per record at steady state", n)
	}
}
