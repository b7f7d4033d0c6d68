package score

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// Each case drives one Scorer and checks one peer's score against a value
// computed by hand in the comment.
func TestComponentsByHand(t *testing.T) {
	a, b := pid(1), pid(2)
	topic := func(mod func(*TopicParams)) map[string]*TopicParams {
		tp := &TopicParams{TopicWeight: 1}
		mod(tp)
		return map[string]*TopicParams{"t": tp}
	}
	cases := []struct {
		name   string
		params Params
		run    func(s *Scorer)
		peer   peer.ID
		want   float64
	}{{
		name: "P1 time in mesh: 90 s of 1 s quanta × 0.5",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.TimeInMeshWeight, tp.TimeInMeshQuantum, tp.TimeInMeshCap = 0.5, time.Second, 100
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(90 * time.Second))
		},
		peer: a, want: 45, // 90 × 0.5
	}, {
		name: "P1 capped and quantised in 10 s",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.TimeInMeshWeight, tp.TimeInMeshQuantum, tp.TimeInMeshCap = 1, 10*time.Second, 6
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(95 * time.Second)) // 9.5 quanta, cap 6
		},
		peer: a, want: 6,
	}, {
		name: "P1 stops at prune",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.TimeInMeshWeight, tp.TimeInMeshQuantum, tp.TimeInMeshCap = 1, time.Second, 100
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(5 * time.Second))
			s.Prune(at(6*time.Second), a, "t")
		},
		peer: a, want: 0,
	}, {
		name: "P2 first deliveries capped at 2, weight 3",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.FirstMessageDeliveriesWeight, tp.FirstMessageDeliveriesDecay, tp.FirstMessageDeliveriesCap = 3, 0.5, 2
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			for _, id := range []string{"m1", "m2", "m3"} {
				s.ValidateMessage(t0, a, id, "t")
				s.DeliverMessage(t0, a, id, "t")
			}
		},
		peer: a, want: 6, // min(3, 2) × 3
	}, {
		name: "P2 decays: 2 × 0.5 after one interval",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.FirstMessageDeliveriesWeight, tp.FirstMessageDeliveriesDecay, tp.FirstMessageDeliveriesCap = 1, 0.5, 10
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Refresh(t0)
			s.DeliverMessage(at(100*time.Millisecond), a, "m1", "t")
			s.DeliverMessage(at(200*time.Millisecond), a, "m2", "t")
			s.Refresh(at(1500 * time.Millisecond))
		},
		peer: a, want: 1,
	}, {
		name:   "P3 deficit² after activation",
		params: baseParams(topic(meshDeliveries)),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Refresh(t0)
			s.Graft(t0, a, "t")
			s.Refresh(at(10 * time.Second)) // not yet active (10 s is not > 10 s)
			for _, id := range []string{"m1", "m2", "m3", "m4"} {
				s.DeliverMessage(at(10500*time.Millisecond), a, id, "t")
			}
			s.Refresh(at(11 * time.Second)) // 4 × 0.5 = 2; active (11 s > 10 s)
		},
		peer: a, want: -9, // (5 − 2)² × −1
	}, {
		name:   "P3 not before activation",
		params: baseParams(topic(meshDeliveries)),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(10 * time.Second)) // not > activation
		},
		peer: a, want: 0,
	}, {
		name:   "P3b: deficit² kept at prune, × −2",
		params: baseParams(topic(meshDeliveries)),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(11 * time.Second))
			s.Prune(at(11*time.Second), a, "t")
		},
		peer: a, want: -50, // (5 − 0)² × −2
	}, {
		name:   "P3b: no penalty for a peer pruned before activation",
		params: baseParams(topic(meshDeliveries)),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "t")
			s.Refresh(at(5 * time.Second))
			s.Prune(at(5*time.Second), a, "t")
		},
		peer: a, want: 0,
	}, {
		name: "P4 invalid messages squared",
		params: baseParams(topic(func(tp *TopicParams) {
			tp.InvalidMessageDeliveriesWeight, tp.InvalidMessageDeliveriesDecay = -2, 0.9
		})),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			for _, id := range []string{"m1", "m2", "m3"} {
				s.ValidateMessage(t0, a, id, "t")
				s.RejectMessage(t0, a, id, "t", ReasonInvalid)
			}
			s.RejectMessage(t0, a, "m4", "t", ReasonIgnored)
		},
		peer: a, want: -18, // 3² × −2
	}, {
		name: "P5 application-specific × weight",
		params: func() Params {
			p := baseParams(nil)
			p.AppSpecificWeight = 2
			p.AppSpecificScore = func(p peer.ID) float64 { return float64(p[0]) * 7 }
			return p
		}(),
		run:  func(s *Scorer) { s.AddPeer(t0, a, netip.Addr{}) },
		peer: a, want: 14,
	}, {
		name:   "P6 five peers on one IP, threshold 2",
		params: colocation(),
		run:    addPeersOn("10.0.0.1", "10.0.0.1", "10.0.0.1", "::ffff:10.0.0.1", "10.0.0.1", "10.0.0.2"),
		peer:   a, want: -9, // (5 − 2)² × −1
	}, {
		name:   "P6 at the threshold",
		params: colocation(),
		run:    addPeersOn("10.0.0.1", "10.0.0.1", "10.0.0.2"),
		peer:   a, want: 0,
	}, {
		name:   "P6 whitelisted",
		params: colocation(),
		run:    addPeersOn("192.168.1.9", "192.168.1.9", "192.168.1.9", "192.168.1.9"),
		peer:   a, want: 0,
	}, {
		name:   "P6 whitelisted as an IPv4-mapped prefix",
		params: colocation(),
		run:    addPeersOn("172.16.0.1", "172.16.0.1", "172.16.0.1"),
		peer:   a, want: 0,
	}, {
		name: "P7 behaviour penalty above threshold",
		params: func() Params {
			p := baseParams(nil)
			p.BehaviourPenaltyWeight, p.BehaviourPenaltyThreshold, p.BehaviourPenaltyDecay = -1, 2, 0.5
			return p
		}(),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.AddPenalty(a, 4)
			s.AddPenalty(a, 1)
			s.AddPenalty(a, -3) // ignored
		},
		peer: a, want: -9, // (5 − 2)² × −1
	}, {
		name:   "topic weights and TopicScoreCap",
		params: twoTopics(12),
		run:    deliverInBoth(a),
		peer:   a, want: 12, // 10 × 1 + 10 × 0.5 = 15, capped at 12
	}, {
		name:   "topic weights without cap",
		params: twoTopics(0),
		run:    deliverInBoth(a),
		peer:   a, want: 15,
	}, {
		name:   "unscored topic contributes nothing",
		params: twoTopics(0),
		run: func(s *Scorer) {
			s.AddPeer(t0, a, netip.Addr{})
			s.Graft(t0, a, "other")
			s.DeliverMessage(t0, a, "m", "other")
			s.RejectMessage(t0, a, "n", "other", ReasonInvalid)
		},
		peer: a, want: 0,
	}, {
		name:   "unknown peer scores 0",
		params: twoTopics(0),
		run:    deliverInBoth(a),
		peer:   b, want: 0,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.params)
			tc.run(s)
			if got := s.Score(tc.peer); !closeTo(got, tc.want) {
				t.Fatalf("Score = %v, want %v", got, tc.want)
			}
		})
	}
}

func meshDeliveries(tp *TopicParams) {
	tp.MeshMessageDeliveriesWeight = -1
	tp.MeshMessageDeliveriesDecay = 0.5
	tp.MeshMessageDeliveriesCap = 20
	tp.MeshMessageDeliveriesThreshold = 5
	tp.MeshMessageDeliveriesActivation = 10 * time.Second
	tp.MeshFailurePenaltyWeight = -2
	tp.MeshFailurePenaltyDecay = 0.5
}

func colocation() Params {
	p := baseParams(nil)
	p.IPColocationFactorWeight = -1
	p.IPColocationFactorThreshold = 2
	p.IPColocationFactorWhitelist = []netip.Prefix{
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("::ffff:172.16.0.0/108"),
	}
	return p
}

// addPeersOn adds peers 1, 2, ... on the given IPs.
func addPeersOn(ips ...string) func(*Scorer) {
	return func(s *Scorer) {
		for i, a := range ips {
			s.AddPeer(t0, pid(byte(i+1)), ip(a))
		}
	}
}

func twoTopics(scoreCap float64) Params {
	mk := func(w float64) *TopicParams {
		return &TopicParams{TopicWeight: w, FirstMessageDeliveriesWeight: 1, FirstMessageDeliveriesDecay: 0.5, FirstMessageDeliveriesCap: 10}
	}
	p := baseParams(map[string]*TopicParams{"x": mk(1), "y": mk(0.5)})
	p.TopicScoreCap = scoreCap
	return p
}

func deliverInBoth(p peer.ID) func(*Scorer) {
	return func(s *Scorer) {
		s.AddPeer(t0, p, netip.Addr{})
		for i := range 12 {
			id := string(rune('a' + i))
			s.DeliverMessage(t0, p, "x"+id, "x")
			s.DeliverMessage(t0, p, "y"+id, "y")
		}
	}
}

// A negative topic score is never capped.
func TestTopicScoreCapOnlyCapsPositive(t *testing.T) {
	p := twoTopics(1)
	for _, tp := range p.Topics {
		tp.InvalidMessageDeliveriesWeight, tp.InvalidMessageDeliveriesDecay = -1, 0.5
	}
	s := mustNew(t, p)
	a := pid(1)
	s.AddPeer(t0, a, netip.Addr{})
	for _, id := range []string{"1", "2", "3"} {
		s.RejectMessage(t0, a, "x"+id, "x", ReasonInvalid)
		s.RejectMessage(t0, a, "y"+id, "y", ReasonInvalid)
	}
	// x: 3² × −1 × 1 = −9, y: 3² × −1 × 0.5 = −4.5.
	if got, want := s.Score(a), -13.5; got != want {
		t.Fatalf("Score = %v, want %v", got, want)
	}
}
