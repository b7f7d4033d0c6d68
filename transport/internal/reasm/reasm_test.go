package transport

import (
	"bytes"
	"testing"
	"time"
)

func frag(id uint32, idx, count uint16, data []byte) frame {
	return frame{Type: frameFragment, MsgID: id, Index: idx, Count: count, Data: data}
}

func TestReassembly(t *testing.T) {
	t0 := time.Unix(0, 0)
	a := bytes.Repeat([]byte{'a'}, minFragmentData)
	b := bytes.Repeat([]byte{'b'}, minFragmentData)
	type step struct {
		f     frame
		msg   []byte
		cause DropCause
		drop  bool
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
			{f: frag(3, 0, 3, a)}, {f: frag(3, 1, 4, b), cause: DropMalformed, drop: true},
		}},
		{"too many fragments for max message", 1000, 1 << 20, 1 << 20, []step{
			{f: frag(4, 0, 3, a), cause: DropMalformed, drop: true},
		}},
		{"message over max", 2 * minFragmentData, 1 << 20, 1 << 20, []step{
			{f: frag(5, 0, 2, a)}, {f: frag(5, 1, 2, bytes.Repeat([]byte{'x'}, minFragmentData+1)), cause: DropReassemblyOverflow, drop: true},
		}},
		{"peer cap", 1 << 20, minFragmentData + 100, 1 << 20, []step{
			{f: frag(6, 0, 2, a)}, {f: frag(7, 0, 2, b), cause: DropReassemblyOverflow, drop: true},
		}},
		{"global cap", 1 << 20, 1 << 20, 40, []step{
			{f: frag(8, 0, 2, a), cause: DropReassemblyOverflow, drop: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reassembler
			total := 0
			lim := reasmLimits{maxMessage: tt.max, peerBytes: tt.peer, totalBytes: tt.total, total: &total}
			for i, s := range tt.steps {
				msg, cause, drop := r.add(s.f, t0, lim)
				if !bytes.Equal(msg, s.msg) || drop != s.drop || (drop && cause != s.cause) {
					t.Fatalf("step %d: msg %d bytes drop=%v cause=%v, want %d %v %v", i, len(msg), drop, cause, len(s.msg), s.drop, s.cause)
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
	lim := reasmLimits{maxMessage: 1 << 20, peerBytes: 1 << 20, totalBytes: 1 << 20, total: &total}
	var r reassembler
	r.add(frag(1, 0, 2, make([]byte, minFragmentData)), t0, lim)
	r.add(frag(2, 0, 2, make([]byte, minFragmentData)), t0.Add(time.Second), lim)
	if n := r.expire(t0.Add(500*time.Millisecond), &total); n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	if n := r.reset(&total); n != 1 || total != 0 || r.bytes != 0 {
		t.Fatalf("reset %d, total %d, bytes %d", n, total, r.bytes)
	}
}
