package reasm

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// minFragmentData is transport's wire minimum for all fragments but the last.
const minFragmentData = 512

func frag(id uint32, idx, count uint16, data []byte) Fragment {
	return Fragment{MsgID: id, Index: idx, Count: count, Data: data}
}

func TestReassembly(t *testing.T) {
	t0 := time.Unix(0, 0)
	a := bytes.Repeat([]byte{'a'}, minFragmentData)
	b := bytes.Repeat([]byte{'b'}, minFragmentData)
	type step struct {
		f    Fragment
		msg  []byte
		drop Drop
	}
	tests := []struct {
		name      string
		max, peer int
		total     int
		steps     []step
	}{
		{"in order", 1 << 20, 1 << 20, 1 << 20, []step{
			{f: frag(1, 0, 3, a)}, {f: frag(1, 1, 3, b)}, {f: frag(1, 2, 3, []byte("c")), msg: append(append(append([]byte{}, a...), b...), 'c')},
		}},
		{"reordered with duplicate", 1 << 20, 1 << 20, 1 << 20, []step{
			{f: frag(2, 1, 2, []byte("z"))}, {f: frag(2, 1, 2, []byte("z"))}, {f: frag(2, 0, 2, a), msg: append(append([]byte{}, a...), 'z')},
		}},
		{"count mismatch", 1 << 20, 1 << 20, 1 << 20, []step{
			{f: frag(3, 0, 3, a)}, {f: frag(3, 1, 4, b), drop: Malformed},
		}},
		{"too many fragments for max message", 1000, 1 << 20, 1 << 20, []step{
			{f: frag(4, 0, 3, a), drop: Malformed},
		}},
		{"message over max", 2 * minFragmentData, 1 << 20, 1 << 20, []step{
			{f: frag(5, 0, 2, a)}, {f: frag(5, 1, 2, bytes.Repeat([]byte{'x'}, minFragmentData+1)), drop: Overflow},
		}},
		{"peer cap", 1 << 20, minFragmentData + 100, 1 << 20, []step{
			{f: frag(6, 0, 2, a)}, {f: frag(7, 0, 2, b), drop: Overflow},
		}},
		{"global cap", 1 << 20, 1 << 20, 40, []step{
			{f: frag(8, 0, 2, a), drop: Overflow},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Reassembler
			pl := NewPool(Limits{MaxMessage: tt.max, PeerBytes: tt.peer, TotalBytes: tt.total, MinFragment: minFragmentData})
			for i, s := range tt.steps {
				msg, drop, _ := pl.Add(&r, s.f, t0)
				if !bytes.Equal(msg, s.msg) || drop != s.drop {
					t.Fatalf("step %d: msg %d bytes drop %v, want %d bytes drop %v", i, len(msg), drop, len(s.msg), s.drop)
				}
				if pl.Total() != r.bytes || pl.Total() < 0 {
					t.Fatalf("step %d: total %d, peer %d", i, pl.Total(), r.bytes)
				}
			}
		})
	}
}

func TestReassemblyExpireAndClose(t *testing.T) {
	t0 := time.Unix(0, 0)
	pl := NewPool(Limits{MaxMessage: 1 << 20, PeerBytes: 1 << 20, TotalBytes: 1 << 20, MinFragment: minFragmentData})
	var r Reassembler
	pl.Add(&r, frag(1, 0, 2, make([]byte, minFragmentData)), t0)
	pl.Add(&r, frag(2, 0, 2, make([]byte, minFragmentData)), t0.Add(time.Second))
	if n := pl.Expire(t0.Add(500 * time.Millisecond)); n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	if n := pl.Close(&r); n != 1 || pl.Total() != 0 || r.bytes != 0 {
		t.Fatalf("close %d, total %d, bytes %d", n, pl.Total(), r.bytes)
	}
	// A fragment handed to a closed Reassembler (its peer was removed
	// while the fragment was on its way) is refused and charges nothing.
	if _, drop, _ := pl.Add(&r, frag(3, 0, 2, make([]byte, minFragmentData)), t0); drop != Closed {
		t.Fatalf("closed reassembler: drop %v, want Closed", drop)
	}
	if pl.Total() != 0 {
		t.Fatalf("total %d after a refused fragment", pl.Total())
	}
}

// Three flooding peers fill the whole budget; a fourth, under its fair
// share, still gets its message through by evicting the biggest holder's
// oldest partials, and never a holder at or below its share.
func TestReassemblyFairShare(t *testing.T) {
	t0 := time.Unix(0, 0)
	const msgSize = 4 * minFragmentData
	pl := NewPool(Limits{MaxMessage: 1 << 20, PeerBytes: 1 << 20, TotalBytes: 40 * msgSize, MinFragment: minFragmentData})
	var flood [3]Reassembler
	id := uint32(0)
	data := make([]byte, minFragmentData)
	// The flooders start 5-fragment messages and never finish them,
	// until each is refused.
	for refused := 0; refused < 3; {
		id++
		if _, drop, _ := pl.Add(&flood[id%3], frag(id, 0, 5, data), t0); drop != NoDrop {
			refused++
		}
	}
	full := pl.Total()
	// A flooder, at its fair share of a full budget, evicts no one.
	id++
	if _, drop, ev := pl.Add(&flood[0], frag(id, 0, 5, data), t0); drop != Overflow || ev != 0 {
		t.Fatalf("flooder at its share: drop %v, evicted %d", drop, ev)
	}
	var fair Reassembler
	var got []byte
	evicted := 0
	for j := range uint16(4) {
		msg, drop, ev := pl.Add(&fair, frag(1, j, 4, data), t0)
		if drop != NoDrop {
			t.Fatalf("fragment %d of the fair peer: drop %v (total %d of %d)", j, drop, full, 40*msgSize)
		}
		evicted += ev
		got = msg
	}
	if len(got) != msgSize {
		t.Fatalf("fair peer's message: %d bytes", len(got))
	}
	if evicted == 0 {
		t.Fatal("nothing evicted from a full budget")
	}
	sum := 0
	for i := range flood {
		sum += flood[i].bytes
	}
	if sum != pl.Total() || pl.Total() > 40*msgSize {
		t.Fatalf("total %d, sum of peers %d", pl.Total(), sum)
	}
}

// Expire touches only the partials it discards: with many partials and
// none due, its cost does not grow with their number.
func BenchmarkExpireNoneDue(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			t0 := time.Unix(0, 0)
			pl := NewPool(Limits{MaxMessage: 1 << 20, PeerBytes: 1 << 30, TotalBytes: 1 << 30, MinFragment: minFragmentData})
			var r Reassembler
			for i := range n {
				pl.Add(&r, frag(uint32(i), 0, 2, []byte("x")), t0.Add(time.Duration(i)))
			}
			b.ResetTimer()
			for range b.N {
				if pl.Expire(t0) != 0 {
					b.Fatal("expired")
				}
			}
		})
	}
}

// TestExpireTouchesOnlyExpired: Expire of k out of n partials runs in
// time proportional to k, checked by counting the list walk against a
// naive oracle: what is left is exactly the partials started at or after
// the cutoff, in order.
func TestExpireTouchesOnlyExpired(t *testing.T) {
	t0 := time.Unix(0, 0)
	pl := NewPool(Limits{MaxMessage: 1 << 20, PeerBytes: 1 << 30, TotalBytes: 1 << 30, MinFragment: minFragmentData})
	var rs [4]Reassembler
	for i := range 1000 {
		pl.Add(&rs[i%4], frag(uint32(i), 0, 2, []byte("x")), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := pl.Expire(t0.Add(250 * time.Millisecond)); n != 250 {
		t.Fatalf("expired %d, want 250", n)
	}
	i := 250
	for p := pl.head; p != nil; p = p.next {
		if p.id != uint32(i) {
			t.Fatalf("partial %d where %d expected", p.id, i)
		}
		i++
	}
	for k := range rs {
		left, gone := 0, uint64(0) // oracle: what went to rs[k] after and before the cutoff
		for id := range 1000 {
			switch {
			case id%4 != k:
			case id >= 250:
				left++
			default:
				gone++
			}
		}
		if len(rs[k].msgs) != left || rs[k].drops != gone {
			t.Fatalf("reassembler %d: %d partials, %d drops; want %d, %d", k, len(rs[k].msgs), rs[k].drops, left, gone)
		}
	}
}
