package score

import (
	"errors"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Changing a scored topic's parameters takes effect at once for every
// peer (weights, lowered caps); scoring a topic that was not scored starts
// the mesh peers' P1 clock; invalid parameters change nothing.
func TestSetTopicParams(t *testing.T) {
	tp := TopicParams{
		TopicWeight:                  1,
		TimeInMeshWeight:             1,
		TimeInMeshQuantum:            time.Second,
		TimeInMeshCap:                100,
		FirstMessageDeliveriesWeight: 1,
		FirstMessageDeliveriesDecay:  0.5,
		FirstMessageDeliveriesCap:    10,
	}
	s := mustNew(t, baseParams(map[string]*TopicParams{"a": &tp}))
	p := pid(1)
	s.AddPeer(t0, p, ip("10.0.0.1"))
	s.Graft(t0, p, "a")
	s.Graft(t0, p, "b") // unscored: ignored
	for i := range 5 {
		id := string(rune('0' + i))
		s.ValidateMessage(t0, p, id, "a")
		s.DeliverMessage(t0, p, id, "a")
	}
	s.Refresh(at(400 * time.Millisecond))
	if got := s.Score(p); !closeTo(got, 0.4+5) { // P1 0.4 quanta, P2 5
		t.Fatalf("score %v before, want 5.4", got)
	}

	lower := tp
	lower.TopicWeight = 2
	lower.FirstMessageDeliveriesCap = 3
	if err := s.SetTopicParams(at(400*time.Millisecond), "a", lower, nil); err != nil {
		t.Fatal(err)
	}
	if got := s.Score(p); !closeTo(got, 2*(0.4+3)) {
		t.Fatalf("score %v after the change, want 6.8 (weight 2, P2 cut to the new cap 3)", got)
	}
	if got := s.Params().Topics["a"].TopicWeight; got != 2 {
		t.Fatalf("Params reports TopicWeight %v", got)
	}

	bad := tp
	bad.TopicWeight = -1
	if err := s.SetTopicParams(at(400*time.Millisecond), "a", bad, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("invalid params: %v", err)
	}
	if got := s.Score(p); !closeTo(got, 6.8) {
		t.Fatalf("score %v after a refused change", got)
	}

	onlyP1 := TopicParams{TopicWeight: 1, TimeInMeshWeight: 1, TimeInMeshQuantum: time.Second, TimeInMeshCap: 100}
	if err := s.SetTopicParams(at(time.Second), "b", onlyP1, []peer.ID{p, pid(9)}); err != nil {
		t.Fatal(err)
	}
	s.Refresh(at(3 * time.Second))
	b := topicOf(t, s, p, "b")
	if !b.InMesh || !closeTo(b.Raw.P1, 2) {
		t.Fatalf("newly scored topic: %+v, want in mesh with P1 = 2 quanta since the change", b)
	}
}

func topicOf(t *testing.T, s *Scorer, p peer.ID, topic string) TopicScore {
	t.Helper()
	for _, ps := range s.Snapshot(at(0)) {
		if ps.Peer != p {
			continue
		}
		for _, ts := range ps.Topics {
			if ts.Topic == topic {
				return ts
			}
		}
	}
	t.Fatalf("no score of %v in %q", p, topic)
	return TopicScore{}
}
