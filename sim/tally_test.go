package sim

import (
	"fmt"
	"reflect"
	"testing"
	"unsafe"
)

// TestTalliesAddEveryCounter fails when a counter is added to tally or
// memberTally but not to its add: a window's worker would count it and
// the run would lose it (only runs whose windows are shared would show
// it, and only for scenarios that use the counter).
func TestTalliesAddEveryCounter(t *testing.T) {
	var a, b tally
	var ma, mb memberTally
	for _, tc := range []struct {
		name     string
		into, of any // the tallies a.add(b) adds into and of
		add      func()
	}{
		{"tally", &a, &b, func() { a.add(&b) }},
		{"memberTally", &ma, &mb, func() { ma.add(&mb) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k uint64
			fillCounters(reflect.ValueOf(tc.of).Elem(), &k)
			want := counters(reflect.ValueOf(tc.of).Elem(), tc.name, nil)
			if len(want) < 10 {
				t.Fatalf("found %d counters: the walk misses fields", len(want))
			}
			tc.add()
			got := counters(reflect.ValueOf(tc.into).Elem(), tc.name, nil)
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s not added: %d, want %d", want[i].name, got[i].v, want[i].v)
				}
			}
			for _, c := range counters(reflect.ValueOf(tc.of).Elem(), tc.name, nil) {
				if c.v != 0 {
					t.Errorf("%s of the added tally not emptied: %d", c.name, c.v)
				}
			}
		})
	}
}

// settable returns v, a field reached through unexported names, as a
// value that can be set.
func settable(v reflect.Value) reflect.Value {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// fillCounters sets every integer field of struct v, and every element of
// its integer arrays, to distinct non-zero values.
func fillCounters(v reflect.Value, k *uint64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillCounters(settable(v.Field(i)), k)
		}
	case reflect.Array:
		for i := range v.Len() {
			fillCounters(v.Index(i), k)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		*k++
		v.SetInt(int64(*k))
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		*k++
		v.SetUint(*k)
	}
}

// counter is one integer field (or array element) of a tally.
type counter struct {
	name string
	v    uint64
}

// counters appends the integer fields of v, named by their path from
// name, in fillCounters's order.
func counters(v reflect.Value, name string, dst []counter) []counter {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			dst = counters(v.Field(i), name+"."+v.Type().Field(i).Name, dst)
		}
	case reflect.Array:
		for i := range v.Len() {
			dst = counters(v.Index(i), fmt.Sprintf("%s[%d]", name, i), dst)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		dst = append(dst, counter{name, uint64(v.Int())})
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		dst = append(dst, counter{name, v.Uint()})
	}
	return dst
}
