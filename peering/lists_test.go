package peering

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gwyh/gwyh/peer"
)

var listNames = [numLists]string{inNone: "-", inMembers: "m", inExchange: "x", inProven: "p"}

// dumpLists returns the lists oldest first, "m[1 2] x[] p[3]", after
// checking that the links, counts, map and free chain agree.
func dumpLists(t *testing.T, ls *lists) string {
	t.Helper()
	var b strings.Builder
	seen := 0
	for _, l := range []listID{inMembers, inExchange, inProven} {
		fmt.Fprintf(&b, "%s[", listNames[l])
		var prev slot
		n := 0
		for s := ls.l[l].oldest; s != 0; s = ls.at(s).newer {
			e := ls.at(s)
			if e.list != l || e.older != prev || ls.find(e.target.ID) != s {
				t.Fatalf("slot %d: list %d, older %d (want %d), map %d", s, e.list, e.older, prev, ls.find(e.target.ID))
			}
			if n > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%d", e.target.ID[0])
			prev = s
			n++
		}
		if ls.l[l].newest != prev || ls.l[l].n != n {
			t.Fatalf("list %s: newest %d, want %d; len %d, want %d", listNames[l], ls.l[l].newest, prev, ls.l[l].n, n)
		}
		seen += n
		b.WriteString("] ")
	}
	free := 0
	for s := ls.free; s != 0; s = ls.at(s).older {
		if e := ls.at(s); e.list != inNone || !e.target.ID.IsZero() || e.target.Addr != "" {
			t.Fatalf("free slot %d holds %+v", s, e)
		}
		free++
	}
	if used := handedOut(ls); ls.total() != seen || seen+free != used {
		t.Fatalf("%d in lists, %d counted, %d free, %d handed out", seen, ls.total(), free, used)
	}
	checkIndex(t, ls)
	return strings.TrimSpace(b.String())
}

// handedOut returns the number of slots ls handed out, free ones included.
func handedOut(ls *lists) int {
	return int(ls.next>>chunkShift)*chunkLen + max(int(ls.next&chunkMask)-1, 0)
}

// checkIndex checks that the index holds each entry once, under its ID's
// hash, reachable from the hash's home without an empty cell between,
// and is at most three quarters full.
func checkIndex(t *testing.T, ls *lists) {
	t.Helper()
	n := len(ls.cells)
	if n != 0 && (n&(n-1) != 0 || n < minCells || 4*ls.total() > 3*n) {
		t.Fatalf("%d cells for %d entries", n, ls.total())
	}
	held := map[slot]bool{}
	for i, c := range ls.cells {
		if c.s == 0 {
			continue
		}
		e := ls.at(c.s)
		if held[c.s] || e.list == inNone || c.hash != ls.hashID(e.target.ID) {
			t.Fatalf("cell %d: %+v, entry %+v, twice %v", i, c, e.target, held[c.s])
		}
		held[c.s] = true
		for j := int(c.hash) & (n - 1); j != i; j = (j + 1) & (n - 1) {
			if ls.cells[j].s == 0 {
				t.Fatalf("cell %d (home %d): cell %d between is empty", i, int(c.hash)&(n-1), j)
			}
		}
	}
	if len(held) != ls.total() {
		t.Fatalf("index holds %d entries, lists %d", len(held), ls.total())
	}
}

// TestLists runs scripts of list operations: "+m1" adds peer 1 to the
// members, "^1" touches it, ">p1" moves it to the proven list, "-1"
// removes it, "!x" removes the oldest exchange entry.
func TestLists(t *testing.T) {
	byName := map[byte]listID{'m': inMembers, 'x': inExchange, 'p': inProven}
	tests := []struct {
		name   string
		script string
		want   string
		used   int // slots handed out
	}{
		{"empty", "", "m[] x[] p[]", 0},
		{"add is newest", "+m1 +m2 +x3 +m4", "m[1 2 4] x[3] p[]", 4},
		{"touch moves to newest", "+m1 +m2 +m3 ^1", "m[2 3 1] x[] p[]", 3},
		{"touch of newest", "+m1 +m2 ^2", "m[1 2] x[] p[]", 2},
		{"touch of the only one", "+m1 ^1", "m[1] x[] p[]", 1},
		{"touch stays in its list", "+x1 +m2 +x3 ^1", "m[2] x[3 1] p[]", 3},
		{"relist is newest there", "+x1 +x2 +p3 >p1", "m[] x[2] p[3 1]", 3},
		{"relist of the only one", "+x1 >m1", "m[1] x[] p[]", 1},
		{"relist back", "+x1 +x2 >p1 >x1", "m[] x[2 1] p[]", 2},
		{"remove oldest", "+m1 +m2 +m3 -1", "m[2 3] x[] p[]", 3},
		{"remove middle", "+m1 +m2 +m3 -2", "m[1 3] x[] p[]", 3},
		{"remove newest", "+m1 +m2 +m3 -3", "m[1 2] x[] p[]", 3},
		{"evict oldest", "+x1 +x2 +x3 ^1 !x", "m[] x[3 1] p[]", 3},
		{"evict each list", "+m1 +x2 +p3 +m4 !m !p", "m[4] x[2] p[]", 4},
		{"evict empty", "+m1 !x", "m[1] x[] p[]", 1},
		{"slot reused", "+m1 +m2 +m3 -2 +m4", "m[1 3 4] x[] p[]", 3},
		{"slots reused last freed first", "+m1 +m2 +m3 -1 -3 +x4 +x5 +x6", "m[2] x[4 5 6] p[]", 4},
		{"all removed and again", "+m1 +m2 -1 -2 +m2 +m1", "m[2 1] x[] p[]", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := newLists()
			for _, op := range strings.Fields(tt.script) {
				id := pid(op[len(op)-1] - '0')
				switch op[0] {
				case '+':
					ls.add(byName[op[1]], entry{target: Target{ID: id, Addr: op}})
				case '^':
					ls.touch(ls.find(id))
				case '>':
					ls.relist(ls.find(id), byName[op[1]])
				case '-':
					if e := ls.remove(ls.find(id)); e.target.ID != id || e.newer != 0 || e.older != 0 {
						t.Fatalf("%s removed %+v", op, e)
					}
				case '!':
					if s := ls.oldest(byName[op[1]]); s != 0 {
						ls.remove(s)
					}
				}
				dumpLists(t, &ls)
			}
			if got := dumpLists(t, &ls); got != tt.want {
				t.Fatalf("%s: %s, want %s", tt.script, got, tt.want)
			}
			if used := handedOut(&ls); used != tt.used {
				t.Fatalf("%d slots handed out, want %d", used, tt.used)
			}
		})
	}
}

// A chunk, with the allocator's 8-byte header, fits a 4 KiB block and
// fills more than half of it: if entry grows or shrinks, change chunkShift.
func TestChunkSize(t *testing.T) {
	if size := unsafe.Sizeof([chunkLen]entry{}) + 8; size > 4096 || size <= 2048 {
		t.Fatalf("a chunk of %d entries of %d bytes takes %d bytes with its header, want 2049 to 4096",
			chunkLen, unsafe.Sizeof(entry{}), size)
	}
}

// An entry stays where it is while the lists grow chunk by chunk, and
// keeps what was written through its pointer.
func TestListsGrowth(t *testing.T) {
	tests := []struct{ n, chunks int }{{1, 1}, {chunkLen, 1}, {chunkLen + 1, 2}, {3*chunkLen + 5, 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			ls := newLists()
			ids := benchTargets(tt.n)
			first := ls.at(ls.add(inMembers, entry{target: ids[0]}))
			first.failures = 7
			for _, tg := range ids[1:] {
				ls.add(inExchange, entry{target: tg})
			}
			if len(ls.chunks) != tt.chunks {
				t.Fatalf("%d chunks, want %d", len(ls.chunks), tt.chunks)
			}
			if p := ls.at(ls.find(ids[0].ID)); p != first || p.failures != 7 || p.target != ids[0] {
				t.Fatalf("first entry moved or changed: %p %+v, was %p", p, p, first)
			}
			got := ls.appendList(nil, inExchange)
			if len(got) != tt.n-1 {
				t.Fatalf("%d exchange entries, want %d", len(got), tt.n-1)
			}
			for i, e := range got {
				if e.target != ids[i+1] {
					t.Fatalf("exchange entry %d is %v, want %v", i, e.target, ids[i+1])
				}
			}
			dumpLists(t, &ls)
		})
	}
}

// lists behaves as three simplelru.LRU (with Peek, Get, Add of a new key,
// Remove, RemoveOldest and Values), for random operations on few IDs.
func TestListsAsSimpleLRU(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 2))
		ids := 10 << (seed % 4) // 10 to 80 IDs: small indexes full of collisions, and growth
		ls := newLists()
		var lru [numLists]*simplelru.LRU[peer.ID, *entry]
		for l := inMembers; l < numLists; l++ {
			lru[l], _ = simplelru.NewLRU[peer.ID, *entry](1000, nil)
		}
		where := func(id peer.ID) listID {
			for l := inMembers; l < numLists; l++ {
				if lru[l].Contains(id) {
					return l
				}
			}
			return inNone
		}
		for step := range 2000 {
			id := pid(byte(1 + r.IntN(ids)))
			l := listID(1 + r.IntN(int(numLists-1)))
			s, in := ls.find(id), where(id)
			if (s != 0) != (in != inNone) || s != 0 && ls.at(s).list != in {
				t.Fatalf("seed %d step %d: %v in %d, simplelru has it in %d", seed, step, id, s, in)
			}
			switch op := r.IntN(5); {
			case in == inNone && op < 3:
				e := ls.at(ls.add(l, entry{target: Target{ID: id}}))
				lru[l].Add(id, e)
			case in == inNone:
				if s := ls.oldest(l); s != 0 {
					ls.remove(s)
				}
				lru[l].RemoveOldest()
			case op == 0:
				ls.touch(s)
				lru[in].Get(id)
			case op == 1:
				ls.relist(s, l)
				lru[in].Remove(id)
				lru[l].Add(id, ls.at(s))
			default:
				ls.remove(s)
				lru[in].Remove(id)
			}
			for l := inMembers; l < numLists; l++ {
				want := lru[l].Keys()
				var got []peer.ID
				for _, e := range ls.appendList(nil, l) {
					got = append(got, e.target.ID)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: list %s %v, simplelru %v", seed, step, listNames[l], got, want)
				}
			}
			dumpLists(t, &ls)
		}
	}
}
