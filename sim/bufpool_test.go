package sim

import (
	"testing"
)

func TestBufPool(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		wantCap int
		pooled  bool
	}{
		{"empty", 0, 64, true},
		{"tiny", 1, 64, true},
		{"class edge", 64, 64, true},
		{"just over", 65, 80, true},
		{"a quarter step", 80, 80, true},
		{"next step", 81, 96, true},
		{"a doubling", 128, 128, true},
		{"just over a doubling", 129, 160, true},
		{"a 256-byte message's packet", 300, 320, true},
		{"mtu", 1400, 1536, true},
		{"last step", 3585, 4096, true},
		{"largest class", 4096, 4096, true},
		{"too large", 4097, 4097, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p bufPool
			b := p.get(tc.n)
			if len(b) != tc.n || cap(b) != tc.wantCap {
				t.Fatalf("get(%d): len %d cap %d, want len %d cap %d", tc.n, len(b), cap(b), tc.n, tc.wantCap)
			}
			b = b[:cap(b)]
			b[0] = 0x5a
			p.put(b[:tc.n])
			again := p.get(tc.n)
			if reused := cap(again) > 0 && &again[:1][0] == &b[0]; reused != tc.pooled {
				t.Fatalf("reused %v, want %v", reused, tc.pooled)
			}
			if len(again) != tc.n {
				t.Fatalf("second get: len %d, want %d", len(again), tc.n)
			}
		})
	}
}

// TestBufPoolModel checks the pool against a naive model: every buffer
// handed out has the asked length and a class capacity, buffers in use are
// never handed out twice, and a put buffer comes back before a new one is
// made (last in, first out per class).
func TestBufPoolModel(t *testing.T) {
	var p bufPool
	var free [poolClasses][]*byte // the model's free lists
	inUse := map[*byte]bool{}
	var held [][]byte
	sizes := []int{1, 30, 64, 65, 100, 500, 1400, 1400, 3000, 4096, 200, 64, 1, 129, 320}
	for step := range 2000 {
		n := sizes[step%len(sizes)]
		if step%3 == 2 && len(held) > 0 {
			k := (step * 7) % len(held)
			b := held[k]
			held = append(held[:k], held[k+1:]...)
			delete(inUse, &b[:1][0])
			c, _ := poolClass(cap(b))
			free[c] = append(free[c], &b[:1][0])
			p.put(b)
			continue
		}
		b := p.get(n)
		c, size := poolClass(n)
		if len(b) != n || cap(b) != size || size < n || size > max(minPoolBuf, n+n/4) {
			t.Fatalf("step %d: get(%d) len %d cap %d", step, n, len(b), cap(b))
		}
		first := &b[:1][0]
		if inUse[first] {
			t.Fatalf("step %d: buffer handed out twice", step)
		}
		if l := free[c]; len(l) > 0 {
			if want := l[len(l)-1]; first != want {
				t.Fatalf("step %d: a free buffer of class %d was not reused", step, c)
			}
			free[c] = l[:len(l)-1]
		}
		inUse[first] = true
		held = append(held, b)
	}
}

// Every class's size is its own class, classes grow strictly, and a size
// just above a class lands in the next one: put accepts exactly the
// capacities get makes.
func TestPoolClasses(t *testing.T) {
	prev := 0
	for c := range poolClasses {
		var size int
		for n := prev + 1; ; n++ {
			got, s := poolClass(n)
			if got != c {
				t.Fatalf("poolClass(%d) = %d, want class %d (the one after size %d)", n, got, c, prev)
			}
			if n == s {
				size = s
				break
			}
		}
		if c == poolClasses-1 && size != maxPoolBuf {
			t.Fatalf("last class is %d bytes, want %d", size, maxPoolBuf)
		}
		prev = size
	}
}
