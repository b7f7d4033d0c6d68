package rpc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gwyh/gwyh/pb"
	"google.golang.org/protobuf/proto"
)

// dump prints r compactly, one part per line; nil and empty print alike.
func dump(r *RPC) string {
	var sb strings.Builder
	for _, s := range r.Subscriptions {
		fmt.Fprintf(&sb, "sub %v %q\n", s.Subscribe, s.Topic)
	}
	for _, m := range r.Publish {
		fmt.Fprintf(&sb, "msg from=%x data=%x seqno=%x topic=%q sig=%x key=%x\n",
			m.From, m.Data, m.Seqno, m.Topic, m.Signature, m.Key)
	}
	for _, e := range r.IHave {
		fmt.Fprintf(&sb, "ihave %q %q\n", e.Topic, e.IDs)
	}
	for _, e := range r.IWant {
		fmt.Fprintf(&sb, "iwant %q\n", e.IDs)
	}
	for _, e := range r.Graft {
		fmt.Fprintf(&sb, "graft %q\n", e.Topic)
	}
	for _, e := range r.Prune {
		fmt.Fprintf(&sb, "prune %q backoff=%d", e.Topic, e.Backoff)
		for _, p := range e.Peers {
			fmt.Fprintf(&sb, " [%x %x]", p.ID, p.Record)
		}
		sb.WriteString("\n")
	}
	for _, e := range r.IDontWant {
		fmt.Fprintf(&sb, "idontwant %q\n", e.IDs)
	}
	for _, e := range r.Choke {
		fmt.Fprintf(&sb, "choke %q\n", e.Topic)
	}
	for _, e := range r.Unchoke {
		fmt.Fprintf(&sb, "unchoke %q\n", e.Topic)
	}
	return sb.String()
}

// toPB converts r to the generated type, setting optional fields only when
// non-empty (Subscribe always), as Append encodes them.
func toPB(r *RPC) *pb.RPC {
	out := &pb.RPC{}
	optS := func(s string) *string {
		if s == "" {
			return nil
		}
		return proto.String(s)
	}
	optB := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		return b
	}
	for _, s := range r.Subscriptions {
		out.Subscriptions = append(out.Subscriptions, &pb.RPC_SubOpts{Subscribe: proto.Bool(s.Subscribe), Topicid: optS(s.Topic)})
	}
	for _, m := range r.Publish {
		out.Publish = append(out.Publish, &pb.Message{From: optB(m.From), Data: optB(m.Data), Seqno: optB(m.Seqno),
			Topic: optS(m.Topic), Signature: optB(m.Signature), Key: optB(m.Key)})
	}
	if !r.HasControl() {
		return out
	}
	c := &pb.ControlMessage{}
	ids := func(s []string) [][]byte {
		var o [][]byte
		for _, id := range s {
			o = append(o, []byte(id))
		}
		return o
	}
	for _, e := range r.IHave {
		c.Ihave = append(c.Ihave, &pb.ControlIHave{TopicID: optS(e.Topic), MessageIDs: ids(e.IDs)})
	}
	for _, e := range r.IWant {
		c.Iwant = append(c.Iwant, &pb.ControlIWant{MessageIDs: ids(e.IDs)})
	}
	for _, e := range r.Graft {
		c.Graft = append(c.Graft, &pb.ControlGraft{TopicID: optS(e.Topic)})
	}
	for _, e := range r.Prune {
		p := &pb.ControlPrune{TopicID: optS(e.Topic)}
		if e.Backoff != 0 {
			p.Backoff = proto.Uint64(e.Backoff)
		}
		for _, pi := range e.Peers {
			p.Peers = append(p.Peers, &pb.PeerInfo{PeerID: optB(pi.ID), SignedPeerRecord: optB(pi.Record)})
		}
		c.Prune = append(c.Prune, p)
	}
	for _, e := range r.IDontWant {
		c.Idontwant = append(c.Idontwant, &pb.ControlIDontWant{MessageIDs: ids(e.IDs)})
	}
	for _, e := range r.Choke {
		c.Choke = append(c.Choke, &pb.ControlChoke{TopicID: optS(e.Topic)})
	}
	for _, e := range r.Unchoke {
		c.Unchoke = append(c.Unchoke, &pb.ControlUnchoke{TopicID: optS(e.Topic)})
	}
	out.Control = c
	return out
}

// fromPB converts a generated RPC to an RPC.
func fromPB(x *pb.RPC) *RPC {
	r := &RPC{}
	strs := func(b [][]byte) []string {
		var o []string
		for _, id := range b {
			o = append(o, string(id))
		}
		return o
	}
	for _, s := range x.GetSubscriptions() {
		r.Subscriptions = append(r.Subscriptions, SubOpts{Subscribe: s.GetSubscribe(), Topic: s.GetTopicid()})
	}
	for _, m := range x.GetPublish() {
		r.Publish = append(r.Publish, Message{From: m.GetFrom(), Data: m.GetData(), Seqno: m.GetSeqno(),
			Topic: m.GetTopic(), Signature: m.GetSignature(), Key: m.GetKey()})
	}
	c := x.GetControl()
	for _, e := range c.GetIhave() {
		r.IHave = append(r.IHave, IHave{Topic: e.GetTopicID(), IDs: strs(e.GetMessageIDs())})
	}
	for _, e := range c.GetIwant() {
		r.IWant = append(r.IWant, IWant{IDs: strs(e.GetMessageIDs())})
	}
	for _, e := range c.GetGraft() {
		r.Graft = append(r.Graft, Graft{Topic: e.GetTopicID()})
	}
	for _, e := range c.GetPrune() {
		p := Prune{Topic: e.GetTopicID(), Backoff: e.GetBackoff()}
		for _, pi := range e.GetPeers() {
			p.Peers = append(p.Peers, PeerInfo{ID: pi.GetPeerID(), Record: pi.GetSignedPeerRecord()})
		}
		r.Prune = append(r.Prune, p)
	}
	for _, e := range c.GetIdontwant() {
		r.IDontWant = append(r.IDontWant, IDontWant{IDs: strs(e.GetMessageIDs())})
	}
	for _, e := range c.GetChoke() {
		r.Choke = append(r.Choke, Choke{Topic: e.GetTopicID()})
	}
	for _, e := range c.GetUnchoke() {
		r.Unchoke = append(r.Unchoke, Unchoke{Topic: e.GetTopicID()})
	}
	return r
}

// randBytes returns n random bytes, nil when n is 0.
func randBytes(rng *rand.Rand, n int) []byte {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randLen returns a length in [0, max), now and then a large one.
func randLen(rng *rand.Rand, max, large int) int {
	if large > 0 && rng.IntN(20) == 0 {
		return large + rng.IntN(large)
	}
	return rng.IntN(max)
}

// randTopic returns a topic from a small set, or empty.
func randTopic(rng *rand.Rand) string {
	if rng.IntN(10) == 0 {
		return ""
	}
	return fmt.Sprintf("topic-%d", rng.IntN(5))
}

// randIDs returns up to max random ids.
func randIDs(rng *rand.Rand, max int) []string {
	n := rng.IntN(max + 1)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = string(randBytes(rng, randLen(rng, 48, 100)))
	}
	return ids
}

// randRPC returns a random batch; sizes are chosen so that splitting and
// oversized parts are common at MTUs of a few hundred bytes.
func randRPC(rng *rand.Rand) *RPC {
	r := &RPC{}
	for range rng.IntN(4) {
		r.Subscriptions = append(r.Subscriptions, SubOpts{Subscribe: rng.IntN(2) == 0, Topic: randTopic(rng)})
	}
	for range rng.IntN(6) {
		r.Publish = append(r.Publish, Message{
			From: randBytes(rng, rng.IntN(2)*32), Data: randBytes(rng, randLen(rng, 300, 1000)),
			Seqno: randBytes(rng, rng.IntN(2)*8), Topic: randTopic(rng),
			Signature: randBytes(rng, rng.IntN(2)*64), Key: randBytes(rng, rng.IntN(4)/3*36),
		})
	}
	for range rng.IntN(4) {
		r.IHave = append(r.IHave, IHave{Topic: randTopic(rng), IDs: randIDs(rng, 40)})
	}
	for range rng.IntN(3) {
		r.IWant = append(r.IWant, IWant{IDs: randIDs(rng, 30)})
	}
	for range rng.IntN(3) {
		r.Graft = append(r.Graft, Graft{Topic: randTopic(rng)})
	}
	for range rng.IntN(3) {
		p := Prune{Topic: randTopic(rng), Backoff: uint64(rng.IntN(3)) * uint64(rng.IntN(1<<20))}
		for range rng.IntN(4) {
			p.Peers = append(p.Peers, PeerInfo{ID: randBytes(rng, 32), Record: randBytes(rng, rng.IntN(120))})
		}
		r.Prune = append(r.Prune, p)
	}
	for range rng.IntN(3) {
		r.IDontWant = append(r.IDontWant, IDontWant{IDs: randIDs(rng, 20)})
	}
	for range rng.IntN(3) {
		r.Choke = append(r.Choke, Choke{Topic: randTopic(rng)})
	}
	for range rng.IntN(3) {
		r.Unchoke = append(r.Unchoke, Unchoke{Topic: randTopic(rng)})
	}
	return r
}

// checkDecoded checks a payload Decode accepted into r under lim: that
// proto.Unmarshal accepts it with the same content, and that r re-encodes
// (to Size bytes, stably) to a payload that decodes to the same content.
func checkDecoded(t *testing.T, payload []byte, r *RPC, lim Limits) {
	t.Helper()
	var x pb.RPC
	if err := proto.Unmarshal(payload, &x); err != nil {
		t.Fatalf("Decode accepts what proto.Unmarshal rejects: %v", err)
	}
	if a, b := dump(r), dump(fromPB(&x)); a != b {
		t.Fatalf("Decode and proto.Unmarshal differ:\n%s\n%s", a, b)
	}
	again := r.Append(nil)
	if len(again) != r.Size() {
		t.Fatalf("Size %d, Append %d", r.Size(), len(again))
	}
	var r2 RPC
	if err := Decode(again, lim, &r2); err != nil {
		t.Fatalf("re-encoded payload fails: %v", err)
	}
	if a, b := dump(r), dump(&r2); a != b {
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
	if !bytes.Equal(r2.Append(nil), again) {
		t.Fatalf("encoding not stable")
	}
}
