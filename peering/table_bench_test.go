package peering

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/gwyh/gwyh/peer"
)

// benchMembers is the candidate count of the table benchmarks: a node of a
// 1,000-node simulation knows every other.
const benchMembers = 1000

// benchTargets returns n member targets with distinct IDs and addresses.
func benchTargets(n int) []Target {
	ts := make([]Target, n)
	for i := range ts {
		var id peer.ID
		binary.BigEndian.PutUint32(id[:], uint32(i+1))
		ts[i] = Target{ID: id, Addr: fmt.Sprintf("10.0.%d.%d:7946", i/256, i%256), Zone: "z"}
	}
	return ts
}

// BenchmarkTableFill builds a table of benchMembers members from empty.
func BenchmarkTableFill(b *testing.B) {
	ts := benchTargets(benchMembers)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		tab := newTable(defaultMaxCandidates)
		for _, tg := range ts {
			tab.offer(now, tg, SourceMember, false)
		}
	}
}

// BenchmarkTableOffer refreshes members of a full table (each offer
// moves one to the front) and looks one up.
func BenchmarkTableOffer(b *testing.B) {
	ts := benchTargets(benchMembers)
	now := t0
	tab := newTable(defaultMaxCandidates)
	for _, tg := range ts {
		tab.offer(now, tg, SourceMember, false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tg := ts[i%len(ts)]
		tab.offer(now, tg, SourceMember, false)
		if tab.byID(ts[(i*7)%len(ts)].ID) == nil {
			b.Fatal("lost")
		}
		i++
	}
}

// BenchmarkTableChurn offers exchange records to a table full of them, so
// that each evicts the oldest.
func BenchmarkTableChurn(b *testing.B) {
	ts := benchTargets(2 * benchMembers)
	now := t0
	tab := newTable(benchMembers)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.offer(now, ts[i%len(ts)], SourceExchange, false)
		i++
	}
}

// BenchmarkTableAll lists the entries of a table of benchMembers members,
// as each dialling Tick does.
func BenchmarkTableAll(b *testing.B) {
	ts := benchTargets(benchMembers)
	tab := newTable(defaultMaxCandidates)
	for _, tg := range ts {
		tab.offer(t0, tg, SourceMember, false)
	}
	var buf []*entry
	b.ReportAllocs()
	for b.Loop() {
		buf = tab.all(buf[:0])
	}
}

// BenchmarkTableLive reports the heap a table of benchMembers members
// keeps (live-B/table), as BenchmarkTableFill builds it.
func BenchmarkTableLive(b *testing.B) {
	ts := benchTargets(benchMembers)
	const n = 20
	var before, after runtime.MemStats
	keep := make([]*table, n)
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range keep {
			keep[i] = newTable(defaultMaxCandidates)
			for _, tg := range ts {
				keep[i].offer(t0, tg, SourceMember, false)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		clear(keep)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "live-B/table")
}
