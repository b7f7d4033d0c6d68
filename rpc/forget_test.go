package rpc

import (
	"fmt"
	"reflect"
	"testing"
)

// everyPart returns an RPC with k entries of every list, each entry
// filled.
func everyPart(k int) RPC {
	var r RPC
	for i := range k {
		s := fmt.Sprint("t", i)
		ids := []string{s + "a", s + "b", s + "c"}[:1+i%3]
		r.Subscriptions = append(r.Subscriptions, SubOpts{Subscribe: true, Topic: s})
		r.Publish = append(r.Publish, Message{From: []byte{1, byte(i)}, Data: []byte(s), Seqno: []byte{byte(i)}, Topic: s, Signature: []byte{2}, Key: []byte{3}})
		r.IHave = append(r.IHave, IHave{Topic: s, IDs: ids})
		r.IWant = append(r.IWant, IWant{IDs: ids})
		r.Graft = append(r.Graft, Graft{Topic: s})
		r.Prune = append(r.Prune, Prune{Topic: s, Peers: []PeerInfo{{ID: []byte{4}, Record: []byte{5}}}, Backoff: 60})
		r.IDontWant = append(r.IDontWant, IDontWant{IDs: ids})
		r.Choke = append(r.Choke, Choke{Topic: s})
		r.Unchoke = append(r.Unchoke, Unchoke{Topic: s})
	}
	return r
}

// held returns the paths of what v still refers to up to the capacity of
// its lists: a non-empty string or a non-nil byte slice.
func held(v reflect.Value, path string, dst []string) []string {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			dst = append(dst, path)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if !v.IsNil() {
				dst = append(dst, path)
			}
			break
		}
		all := v.Slice(0, v.Cap())
		for i := range all.Len() {
			dst = held(all.Index(i), fmt.Sprintf("%s[%d]", path, i), dst)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			dst = held(v.Field(i), path+"."+v.Type().Field(i).Name, dst)
		}
	}
	return dst
}

// TestForgetPinsNothing decodes into one RPC round after round, large
// then small then failing, forgetting after each, and checks that nothing
// decoded is still referred to, to the capacity of every list, while the
// capacity stays for reuse.
func TestForgetPinsNothing(t *testing.T) {
	var r RPC
	for _, tc := range []struct {
		name    string
		payload []byte
		wantErr bool
	}{
		{"large", func() []byte { r := everyPart(5); return r.Append(nil) }(), false},
		{"small", func() []byte { r := everyPart(2); return r.Append(nil) }(), false},
		{"truncated", func() []byte { r := everyPart(4); b := r.Append(nil); return b[:len(b)-3] }(), true},
		{"one message", func() []byte { r := RPC{Publish: everyPart(1).Publish}; return r.Append(nil) }(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Decode(tc.payload, Limits{}, &r); (err != nil) != tc.wantErr {
				t.Fatalf("decode: %v, want error %v", err, tc.wantErr)
			}
			r.Forget()
			if h := held(reflect.ValueOf(r), "RPC", nil); len(h) > 0 {
				t.Fatalf("after Forget, still held: %v", h)
			}
			if !r.Empty() || cap(r.Publish) == 0 || cap(r.IHave) == 0 || cap(r.IHave[:1][0].IDs) == 0 {
				t.Fatalf("capacity not kept: %d messages, %d ihaves", cap(r.Publish), cap(r.IHave))
			}
		})
	}
}
