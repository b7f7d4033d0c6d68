package reasm

import (
	"bytes"
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
			total := 0
			lim := Limits{MaxMessage: tt.max, PeerBytes: tt.peer, TotalBytes: tt.total, MinFragment: minFragmentData, Total: &total}
			for i, s := range tt.steps {
				msg, drop := r.Add(s.f, t0, lim)
				if !bytes.Equal(msg, s.msg) || drop != s.drop {
					t.Fatalf("step %d: msg %d bytes drop %v, want %d bytes drop %v", i, len(msg), drop, len(s.msg), s.drop)
				}
				if total != r.bytes || total < 0 {
					t.Fatalf("step %d: total %d, peer %d", i, total, r.bytes)
				}
			}
		})
	}
}

func TestReassemblyExpireAndReset(t *testing.T) {
	t0 := time.Unix(0, 0)
	total := 0
	lim := Limits{MaxMessage: 1 << 20, PeerBytes: 1 << 20, TotalBytes: 1 << 20, MinFragment: minFragmentData, Total: &total}
	var r Reassembler
	r.Add(frag(1, 0, 2, make([]byte, minFragmentData)), t0, lim)
	r.Add(frag(2, 0, 2, make([]byte, minFragmentData)), t0.Add(time.Second), lim)
	if n := r.Expire(t0.Add(500*time.Millisecond), &total); n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	if n := r.Reset(&total); n != 1 || total != 0 || r.bytes != 0 {
		t.Fatalf("reset %d, total %d, bytes %d", n, total, r.bytes)
	}
}
