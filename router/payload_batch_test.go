package router

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

// countingVerifier is a SigVerifier that records the size of each call.
type countingVerifier struct {
	calls []int
	s     SerialVerifier
}

func (c *countingVerifier) VerifySigs(items []peer.Signed, ok []bool) {
	c.calls = append(c.calls, len(items))
	c.s.VerifySigs(items, ok)
}

// signEnv returns a StrictSign router with verifier v, joined to "t" with
// inbound peers 1..peers in it.
func signEnv(t *testing.T, v SigVerifier, peers int, mod func(*Config)) *env {
	e := newEnv(t, func(c *Config) {
		c.SignaturePolicy, c.AppendMessageID = StrictSign, nil
		c.Identity, _ = peer.IdentityFromSeed(make([]byte, 32))
		c.Verifier = v
		if mod != nil {
			mod(c)
		}
	})
	e.addPeers(1, peers, Inbound, "t")
	e.join("t")
	return e
}

func encode(m *rpc.RPC) []byte { return m.Append(nil) }

// TestHandlePayloadsVerifiesOnce: the new messages of a round are verified
// in one call; copies with identical bytes and messages already seen are
// not verified again.
func TestHandlePayloadsVerifiesOnce(t *testing.T) {
	cv := &countingVerifier{}
	e := signEnv(t, cv, 4, nil)
	e.r.HandleRPC(e.now, pid(4), pub(signedMsg(t, 9, 1, nil))) // seen before the round
	e.ready()
	batch := []Payload{
		{pid(1), encode(pub(signedMsg(t, 1, 1, nil), signedMsg(t, 2, 1, nil)))},
		{pid(2), encode(pub(signedMsg(t, 3, 1, nil)))},
		{pid(3), encode(pub(signedMsg(t, 1, 1, nil), signedMsg(t, 9, 1, nil)))}, // a copy, a seen one
		{pid(4), encode(pub(signedMsg(t, 4, 1, nil), signedMsg(t, 5, 1, nil)))},
	}
	e.r.HandlePayloads(e.now, batch)
	out := e.ready()
	if !reflect.DeepEqual(cv.calls, []int{5}) {
		t.Fatalf("verifier calls %v, want one of 5 signatures", cv.calls)
	}
	st := e.r.Stats()
	if len(out.Deliveries) != 5 || st.VerifyBatches != 1 || st.BatchedSigs != 5 || st.SingleSigs != 1 || st.Duplicates != 2 {
		t.Fatalf("deliveries %d, stats %+v", len(out.Deliveries), st)
	}
}

// TestForgedCopyDoesNotShadow: a forged copy of a message (same author and
// seqno, other data, the real signature) ahead of the real one, in the same
// batch or in an earlier one, is rejected alone; the real copy is
// delivered and its forwarder not penalised.
func TestForgedCopyDoesNotShadow(t *testing.T) {
	tamper := func(m *rpc.Message) { m.Data = []byte("forged") }
	tests := []struct {
		name    string
		batches [][]Payload
	}{
		{"same batch", [][]Payload{{
			{pid(1), encode(pub(signedMsg(t, 7, 1, tamper)))},
			{pid(2), encode(pub(signedMsg(t, 7, 1, nil)))},
		}}},
		{"same payload", [][]Payload{{
			{pid(1), encode(pub(signedMsg(t, 7, 1, tamper), signedMsg(t, 7, 1, nil)))},
			{pid(3), encode(pub(signedMsg(t, 8, 1, nil)))},
		}}},
		{"later batch", [][]Payload{{
			{pid(1), encode(pub(signedMsg(t, 7, 1, tamper)))},
			{pid(3), encode(pub(signedMsg(t, 8, 1, nil)))},
		}, {
			{pid(2), encode(pub(signedMsg(t, 7, 1, nil)))},
			{pid(3), encode(pub(signedMsg(t, 8, 2, nil)))},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := signEnv(t, nil, 3, withFakeScorer)
			delivered := 0
			for _, b := range tc.batches {
				e.r.HandlePayloads(e.now, b)
				for _, d := range e.ready().Deliveries {
					if string(d.Msg.Data) == "forged" {
						t.Fatal("forged copy delivered")
					}
					if d.Msg.Seqno[7] == 1 && string(d.Msg.From) == string(signedMsg(t, 7, 1, nil).From) {
						delivered++
					}
				}
			}
			if delivered != 1 {
				t.Fatalf("real message delivered %d times", delivered)
			}
			if st := e.r.Stats(); st.Drops[DropBadSignature] != 1 || len(e.sc.rejects) != 1 || st.VerifyBatches != uint64(len(tc.batches)) {
				t.Fatalf("drops %v, rejects %v, stats %+v", st.Drops, e.sc.rejects, st)
			}
		})
	}
}

// TestHandlePayloadsEquivalent plays one recorded sequence of rounds into
// two routers, one payload at a time into the first and a round at a time
// into the second: outputs and stats are the same after every round. The
// sequence has valid, duplicate, forged, unsigned and malformed messages,
// subscriptions, IHAVE and IWANT, unknown senders and a forger that the
// scorer graylists along the way.
func TestHandlePayloadsEquivalent(t *testing.T) {
	sp := score.DefaultParams("t")
	sp.Topics["t"].InvalidMessageDeliveriesWeight = -5
	scored := withScorer(t, sp, score.DefaultThresholds())
	one := signEnv(t, nil, 6, scored)
	many := signEnv(t, &countingVerifier{}, 6, scored)
	rounds := recordRounds(t, 40)
	var graylisted bool
	for i, round := range rounds {
		for _, p := range round {
			_ = one.r.HandlePayload(one.now, p.From, p.Data)
		}
		many.r.HandlePayloads(many.now, round)
		a, b := one.ready(), many.ready()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round %d: outputs differ:\none at a time: %+v\nbatched:      %+v", i, a, b)
		}
		sa, sb := one.r.Stats(), many.r.Stats()
		graylisted = sa.Drops[DropGraylisted] > 0
		sa.VerifyBatches, sa.BatchedSigs, sa.SingleSigs = 0, 0, 0
		sb.VerifyBatches, sb.BatchedSigs, sb.SingleSigs = 0, 0, 0
		if sa != sb {
			t.Fatalf("round %d: stats differ:\none at a time: %+v\nbatched:      %+v", i, sa, sb)
		}
		if i%8 == 7 {
			one.tick(one.r.p.HeartbeatInterval)
			many.tick(many.r.p.HeartbeatInterval)
		}
	}
	st := many.r.Stats()
	if !graylisted || st.Drops[DropBadSignature] == 0 || st.Drops[DropMalformed] == 0 || st.Drops[DropUnknownPeer] == 0 || st.Duplicates == 0 {
		t.Fatalf("the sequence does not cover what it should: %+v", st)
	}
	if calls := many.r.cfg.Verifier.(*countingVerifier).calls; len(calls) < len(rounds)/2 {
		t.Fatalf("batched router verified in %d calls over %d rounds", len(calls), len(rounds))
	}
}

// recordRounds builds n rounds of payloads from peers 1..6 and unknown
// peer 99, deterministically: peer 6 forges now and then.
func recordRounds(t *testing.T, n int) [][]Payload {
	rng := rand.New(rand.NewPCG(3, 4))
	var seqs [8]uint64
	rounds := make([][]Payload, n)
	var last []rpc.Message // recently sent, for duplicates
	for i := range rounds {
		for range 1 + rng.IntN(10) {
			from := 1 + rng.IntN(6)
			m := &rpc.RPC{}
			for range rng.IntN(4) {
				author := byte(1 + rng.IntN(7))
				var msg rpc.Message
				switch k := rng.IntN(10); {
				case k < 5:
					seqs[author]++
					msg = signedMsg(t, author, seqs[author], nil)
					last = append(last, msg)
				case k < 8 && len(last) > 0:
					msg = last[rng.IntN(len(last))]
				case k == 8:
					msg = signedMsg(t, author, seqs[author]+1, func(m *rpc.Message) { m.Data = []byte("forged") })
					from = 6
				default:
					msg = signedMsg(t, author, seqs[author]+1, func(m *rpc.Message) { m.Signature = nil })
					from = 6
				}
				m.Publish = append(m.Publish, msg)
			}
			if rng.IntN(8) == 0 {
				m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: rng.IntN(2) == 0, Topic: "u"})
			}
			if rng.IntN(6) == 0 && len(last) > 0 {
				id := string(last[0].From) + string(last[0].Seqno)
				m.IHave = append(m.IHave, ihave("t", id))
				m.IWant = append(m.IWant, rpc.IWant{IDs: []string{id}})
			}
			data := encode(m)
			switch rng.IntN(20) {
			case 0:
				data = append(data, 0xff) // malformed
			case 1:
				rounds[i] = append(rounds[i], Payload{pid(99), data})
				continue
			}
			rounds[i] = append(rounds[i], Payload{pid(from), data})
		}
	}
	return rounds
}
