package rpc

// SubOpts announces that the sender joined (Subscribe) or left a topic.
type SubOpts struct {
	Subscribe bool   // field 1
	Topic     string // field 2, "topicid"
}

// SubOpts is field 1 of RPC, repeated; its fields (pb/rpc.proto RPC.SubOpts):
const (
	rpcFieldSubscriptions = 1

	subFieldSubscribe = 1 // varint, always encoded: false means "unsubscribe"
	subFieldTopic     = 2 // "topicid"
)

// Size returns the exact number of bytes Append writes for s: its body,
// without the key and length prefix it takes as a field of its parent.
func (s *SubOpts) Size() int { return 2 + sizeOptField(len(s.Topic)) }

// Append appends s's protobuf body (Size bytes) to b and returns the
// extended slice.
func (s *SubOpts) Append(b []byte) []byte {
	v := uint64(0)
	if s.Subscribe {
		v = 1
	}
	b = appendUint(b, subFieldSubscribe, v)
	return appendOptString(b, subFieldTopic, s.Topic)
}

// own moves s's strings into arena.
func (s *SubOpts) own(arena []byte) []byte { return ownString(arena, &s.Topic) }

// sub decodes one SubOpts body, under MaxSubscriptions and MaxTopicLen.
func (d *decoder) sub(f field) error {
	s, b, err := newEntry(f, &d.r.Subscriptions, "subscriptions", d.lim.MaxSubscriptions)
	if err != nil {
		return err
	}
	*s = SubOpts{}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case subFieldSubscribe:
			var v uint64
			v, fr.err = f.uint()
			s.Subscribe = v != 0
		case subFieldTopic:
			s.Topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
	}
	return fr.err
}
