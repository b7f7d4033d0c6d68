package router

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

func TestPublishRecipients(t *testing.T) {
	tests := []struct {
		name   string
		flood  bool
		joined bool
		want   int // peers receiving the message (of 20 in the topic)
	}{
		{"flood publish reaches every topic peer", true, true, 20},
		{"flood publish without joining", true, false, 20},
		{"mesh only", false, true, 6},
		{"fan-out when not joined", false, false, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Params.FloodPublish = tc.flood })
			e.addPeers(1, 20, Inbound, "t")
			e.addPeers(21, 22, Inbound, "other")
			if tc.joined {
				e.join("t")
			}
			id, err := e.r.Publish(e.now, "t", msg("t", 1, 8).Data)
			if err != nil || id != msgID(1) {
				t.Fatalf("Publish: %q %v", id, err)
			}
			e.ready()
			got := 0
			for _, s := range e.out.Sends {
				got += len(s.RPC.Publish)
			}
			if got != tc.want {
				t.Fatalf("sent to %d peers, want %d", got, tc.want)
			}
			if d := len(e.out.Deliveries); (d == 1) != tc.joined || (d == 1 && !e.out.Deliveries[0].Local) {
				t.Fatalf("%d local deliveries, joined=%v", d, tc.joined)
			}
			if _, err := e.r.Publish(e.now, "t", msg("t", 1, 8).Data); !errors.Is(err, ErrDuplicate) {
				t.Fatalf("republish: %v", err)
			}
		})
	}
}

func TestFloodPublishSkipsPeersBelowPublishThreshold(t *testing.T) {
	e := newEnv(t, withFakeScorer)
	e.addPeers(1, 5, Inbound, "t")
	e.sc.scores[pid(2)] = -25 // below PublishThreshold (-20)
	if _, err := e.r.Publish(e.now, "t", msg("t", 1, 8).Data); err != nil {
		t.Fatal(err)
	}
	e.ready()
	if e.sendTo(2) != nil || e.sendTo(1) == nil {
		t.Fatalf("sends:\n%s", e.summary())
	}
}

func TestPublishSignsWithSeqno(t *testing.T) {
	id, err := peer.IdentityFromSeed(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.SignaturePolicy, c.Identity, c.AppendMessageID = StrictSign, id, nil
	})
	e.join("t")
	var last uint64
	for i := 0; i < 3; i++ {
		mid, err := e.r.Publish(e.now, "t", []byte("same data"))
		if err != nil {
			t.Fatal(err)
		}
		d := e.ready().Deliveries[0]
		m := d.Msg
		if string(m.From) != string(id.ID().PublicKey()) || len(m.Seqno) != 8 || len(m.Signature) != 64 {
			t.Fatalf("message not signed: %+v", m)
		}
		seq := binary.BigEndian.Uint64(m.Seqno)
		if i > 0 && seq != last+1 {
			t.Fatalf("seqno %d after %d", seq, last)
		}
		last = seq
		if mid != string(m.From)+string(m.Seqno) || d.From != id.ID() {
			t.Fatal("default id is not author ‖ seqno")
		}
		if err := e.r.checkPolicy(&m); err != nil {
			t.Fatalf("own message fails verification: %v", err)
		}
	}
}

func TestMessageIDFunctions(t *testing.T) {
	m := rpc.Message{Topic: "t", Data: []byte("hello")}
	h := sha256.New()
	h.Write([]byte{1, 't'})
	h.Write(m.Data)
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"content hash under StrictNoSign", func(c *Config) { c.AppendMessageID = nil }, string(h.Sum(nil))},
		{"custom string function", func(c *Config) {
			c.AppendMessageID = nil
			c.MessageID = func(m *rpc.Message) string { return "x-" + string(m.Data) }
		}, "x-hello"},
		{"custom append function", nil, "hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mod)
			if got := string(e.r.appendID(nil, &m)); got != tc.want {
				t.Fatalf("id %x want %x", got, tc.want)
			}
		})
	}
}

func TestPublishRunsSyncValidator(t *testing.T) {
	e := newEnv(t, nil)
	e.addPeers(1, 2, Inbound, "t")
	e.r.SetValidator("t", TopicValidator{Sync: func(peer.ID, *rpc.Message) validator.Result { return validator.Reject }})
	if _, err := e.r.Publish(e.now, "t", msg("t", 1, 8).Data); !errors.Is(err, ErrRejected) {
		t.Fatalf("err %v", err)
	}
	if e.ready(); len(e.out.Sends) != 0 {
		t.Fatal("rejected publish was sent")
	}
}
