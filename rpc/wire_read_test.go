package rpc

import (
	"bytes"
	"testing"
)

// TestFieldReaderFastPaths checks fieldReader.next against readFieldSlow
// for every one- and two-byte length after one-byte keys of each wire
// type, in buffers cut short, exact and with bytes to spare: the fast
// paths must read the same field, or leave it to the slow path.
func TestFieldReaderFastPaths(t *testing.T) {
	body := bytes.Repeat([]byte{0xaa}, 1<<15)
	for _, key := range []byte{0x0a, 0x12, 0x08, 0x7a, 0x02} { // bytes fields 1, 2 and 15, a varint, field 0
		for b1 := range 256 {
			for _, b2 := range []int{0x00, 0x01, 0x02, 0x40, 0x7f, 0x80, 0xff} {
				for _, extra := range []int{-1, 0, 5} {
					head := []byte{key, byte(b1), byte(b2)}
					l := b1
					if b1 >= 0x80 {
						l = b1&0x7f | (b2&0x7f)<<7
					}
					n := max(0, 2+l+extra)
					if b1 >= 0x80 {
						n = max(0, 3+l+extra)
					}
					buf := append(append([]byte{}, head...), body...)[:max(n, 1)]
					fr := fieldReader{b: buf}
					ok := fr.next()
					want, wn := readFieldSlow(buf)
					switch {
					case ok != (wn > 0):
						t.Fatalf("key %#x len bytes %#x %#x, %d bytes: next %v, slow path read %d", key, b1, b2, len(buf), ok, wn)
					case !ok:
					case fr.f.num != want.num || fr.f.wire != want.wire || fr.f.val != want.val ||
						!bytes.Equal(fr.f.body, want.body) || cap(fr.f.body) != len(fr.f.body) || len(buf)-len(fr.b) != wn:
						t.Fatalf("key %#x len bytes %#x %#x, %d bytes: next read %+v (%d bytes), slow path %+v (%d)",
							key, b1, b2, len(buf), fr.f, len(buf)-len(fr.b), want, wn)
					}
				}
			}
		}
	}
}
