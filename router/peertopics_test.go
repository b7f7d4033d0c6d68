package router

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// peerTopics behaves as a set (a map is the model) across the move from
// its slice to its map, for sequences that stay few, cross the threshold
// and shrink again.
func TestPeerTopics(t *testing.T) {
	tests := []struct {
		name   string
		topics int // distinct topics drawn from
		steps  int
	}{
		{"one topic", 1, 50},
		{"within the slice", peerTopicsFew, 500},
		{"just past it", peerTopicsFew + 1, 500},
		{"many", 100, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.topics)))
			var s peerTopics
			model := map[string]bool{}
			for step := range tt.steps {
				name := fmt.Sprintf("t%03d", rng.IntN(tt.topics))
				if rng.IntN(3) == 0 {
					s.remove(name)
					delete(model, name)
				} else {
					s.add(name)
					model[name] = true
				}
				if s.len() != len(model) || s.has(name) != model[name] {
					t.Fatalf("step %d: len %d has(%s) %v; want %d %v", step, s.len(), name, s.has(name), len(model), model[name])
				}
				if want := slices.Sorted(maps.Keys(model)); !slices.Equal(s.sorted(), want) {
					t.Fatalf("step %d: sorted %v, want %v", step, s.sorted(), want)
				}
				if s.many == nil && len(s.few) > peerTopicsFew {
					t.Fatalf("step %d: %d topics in the slice, over %d", step, len(s.few), peerTopicsFew)
				}
			}
		})
	}
}
