package router

import (
	"crypto/ed25519"
	"slices"
	"testing"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
)

func TestForwardToMeshExceptSender(t *testing.T) {
	e := newJoinedEnv(t, nil, 10)
	mesh := e.meshOf("t")
	from := mesh[0]
	e.rpcFrom(from, pub(msg("t", 1, 100)))
	if len(e.out.Deliveries) != 1 || e.out.Deliveries[0].ReceivedFrom != pid(from) {
		t.Fatalf("deliveries %+v", e.out.Deliveries)
	}
	for i := 1; i <= 10; i++ {
		s := e.sendTo(i)
		got := s != nil && len(s.Publish) == 1
		want := slices.Contains(mesh, i) && i != from
		if got != want {
			t.Fatalf("peer %d got the message: %v, want %v (mesh %v, sender %d)", i, got, want, mesh, from)
		}
	}
	// A second copy is a duplicate: counted, not delivered, not forwarded.
	e.rpcFrom(mesh[1], pub(msg("t", 1, 100)))
	if len(e.out.Sends)+len(e.out.Deliveries) != 0 || e.r.Stats().Duplicates != 1 {
		t.Fatalf("duplicate handled: %s", e.summary())
	}
	if got, other := e.r.TopicDuplicates("t"), e.r.TopicDuplicates("u"); got != 1 || other != 0 {
		t.Fatalf("TopicDuplicates t=%d u=%d, want 1 and 0", got, other)
	}
}

func TestReceiveDropsUnjoinedTopic(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 1, Inbound, "t")
	e.rpcFrom(1, pub(msg("t", 1, 8)))
	if len(e.out.Deliveries) != 0 || e.r.Stats().Drops[DropNotSubscribed] != 1 {
		t.Fatal("message for an unjoined topic not dropped")
	}
}

func TestIDontWantSentBeforeValidationAndHonoured(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
	e.r.SetValidator("t", TopicValidator{Async: true})
	mesh := e.meshOf("t")
	// Peer mesh[2] says it does not want message 1.
	e.rpcFrom(mesh[2], &rpc.RPC{IDontWant: []rpc.IDontWant{{IDs: []string{msgID(1)}}}})
	e.rpcFrom(mesh[0], pub(msg("t", 1, 1024), msg("t", 2, 1023)))
	if len(e.out.Validations) != 2 {
		t.Fatalf("%d validations", len(e.out.Validations))
	}
	for _, i := range mesh {
		s := e.sendTo(i)
		if i == mesh[0] {
			if s != nil {
				t.Fatal("IDONTWANT sent back to the sender")
			}
			continue
		}
		if s == nil || len(s.IDontWant) != 1 || !slices.Equal(s.IDontWant[0].IDs, []string{msgID(1)}) || len(s.Publish) != 0 {
			t.Fatalf("peer %d: want IDONTWANT for the 1024 B message only, before validation: %+v", i, s)
		}
	}
	vs := slices.Clone(e.out.Validations)
	for _, v := range vs {
		e.r.ValidationDone(e.now, v.ID, 1)
	}
	e.ready()
	if s := e.sendTo(mesh[2]); s == nil || len(s.Publish) != 1 || s.Publish[0].Data[7] != 2 {
		t.Fatalf("peer that sent IDONTWANT: %+v", s)
	}
	if s := e.sendTo(mesh[1]); s == nil || len(s.Publish) != 2 {
		t.Fatalf("other mesh peer should get both: %+v", s)
	}
}

func TestIDontWantMemoryBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Params.MaxIDontWantMessages = 3 })
	e.addPeers(1, 1, Inbound, "t")
	e.rpcFrom(1, &rpc.RPC{IDontWant: []rpc.IDontWant{{IDs: []string{"a", "b", "c", "d", "e"}}}})
	if n := e.r.Stats().Drops[DropIDontWantFlood]; n != 2 {
		t.Fatalf("%d dropped, want 2", n)
	}
	e.heartbeats(3)
	if n := e.r.peers[pid(1)].dontWant.Len(); n != 0 {
		t.Fatalf("%d ids remembered after IDontWantTTL heartbeats", n)
	}
}

// signedMsg returns a message signed by the identity from seed.
func signedMsg(t *testing.T, seed byte, seq uint64, mutate func(*rpc.Message)) rpc.Message {
	id, err := peer.IdentityFromSeed(append(make([]byte, 31), seed))
	if err != nil {
		t.Fatal(err)
	}
	m := rpc.Message{Topic: "t", Data: []byte("data"), From: id.ID().PublicKey()}
	m.Seqno = []byte{0, 0, 0, 0, 0, 0, 0, byte(seq)}
	m.Signature = id.Sign(appendSigned(nil, &m))
	if mutate != nil {
		mutate(&m)
	}
	return m
}

func TestSignaturePolicy(t *testing.T) {
	other := ed25519.PublicKey(make([]byte, 32))
	tests := []struct {
		name   string
		policy SignaturePolicy
		mutate func(*rpc.Message)
		accept bool
		cause  DropCause // the drop counted when not accepted
	}{
		{"strict sign: valid", StrictSign, nil, true, DropNone},
		{"strict sign: unsigned", StrictSign, func(m *rpc.Message) { m.Signature = nil }, false, DropMissingSignature},
		{"strict sign: a strict-no-sign message", StrictSign, func(m *rpc.Message) { m.From, m.Seqno, m.Signature = nil, nil, nil }, false, DropMissingSignature},
		{"strict sign: bad signature", StrictSign, func(m *rpc.Message) { m.Data = []byte("tampered") }, false, DropBadSignature},
		{"strict sign: key of someone else", StrictSign, func(m *rpc.Message) { m.Key = other }, false, DropBadSignature},
		{"strict sign: short seqno", StrictSign, func(m *rpc.Message) { m.Seqno = m.Seqno[:4] }, false, DropBadSignature},
		{"strict sign: short signature", StrictSign, func(m *rpc.Message) { m.Signature = m.Signature[:10] }, false, DropBadSignature},
		{"strict no sign: plain", StrictNoSign, func(m *rpc.Message) { m.From, m.Seqno, m.Signature = nil, nil, nil }, true, DropNone},
		{"strict no sign: a signed message", StrictNoSign, nil, false, DropUnexpectedSignature},
		{"strict no sign: carries from", StrictNoSign, func(m *rpc.Message) { m.Seqno, m.Signature = nil, nil }, false, DropUnexpectedSignature},
		{"strict no sign: carries seqno", StrictNoSign, func(m *rpc.Message) { m.From, m.Signature = nil, nil }, false, DropUnexpectedSignature},
		{"strict no sign: carries signature", StrictNoSign, func(m *rpc.Message) { m.From, m.Seqno = nil, nil }, false, DropUnexpectedSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				withFakeScorer(c)
				c.SignaturePolicy = tc.policy
				c.AppendMessageID = nil
				if tc.policy == StrictSign {
					c.Identity, _ = peer.IdentityFromSeed(make([]byte, 32))
				}
			})
			e.addPeers(1, 2, Inbound, "t")
			e.join("t")
			e.rpcFrom(1, pub(signedMsg(t, 9, 1, tc.mutate)))
			if got := len(e.out.Deliveries) == 1; got != tc.accept {
				t.Fatalf("accepted %v, want %v", got, tc.accept)
			}
			if !tc.accept {
				if e.countEvents(EventReject) != 1 || e.r.Stats().Drops[tc.cause] != 1 ||
					!slices.Equal(e.sc.rejects, []string{score.ReasonInvalid.String()}) {
					t.Fatalf("rejection not reported as %v: events %+v drops %v rejects %v", tc.cause, e.out.Events, e.r.Stats().Drops, e.sc.rejects)
				}
				for _, ev := range e.out.Events {
					if ev.Kind == EventReject && ev.Cause != tc.cause {
						t.Fatalf("EventReject cause %v, want %v", ev.Cause, tc.cause)
					}
				}
				if s := e.sendTo(2); s != nil && len(s.Publish) > 0 {
					t.Fatal("invalid message forwarded")
				}
			}
		})
	}
}

// The last message's topic is remembered to spare a lookup; a topic the
// router forgot and made again is the new one, and messages in a topic
// other than the last one's find theirs.
func TestMessageTopicRemembered(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 2, Inbound, "t", "u")
	e.join("t")
	e.join("u")
	delivered := func() uint64 { return e.r.Stats().Delivered }
	steps := []struct {
		name  string
		do    func()
		topic string
		want  bool // delivered
	}{
		{"first in t", nil, "t", true},
		{"then in u", nil, "u", true},
		{"t again", nil, "t", true},
		{"t forgotten: left, its subscribers gone", func() {
			if err := e.r.Leave(e.now, "t"); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 2; i++ {
				e.rpcFrom(i, &rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: false, Topic: "t"}}})
			}
			if e.r.topics["t"] != nil {
				t.Fatal("topic t not forgotten")
			}
		}, "t", false},
		{"t joined again", func() {
			e.join("t")
			e.rpcFrom(1, &rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: true, Topic: "t"}}})
		}, "t", true},
	}
	for i, st := range steps {
		if st.do != nil {
			st.do()
		}
		before := delivered()
		e.rpcFrom(1, pub(msg(st.topic, uint64(i+1), 64)))
		if got := delivered() > before; got != st.want {
			t.Fatalf("%s: delivered %v, want %v", st.name, got, st.want)
		}
	}
}
