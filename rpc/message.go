package rpc

// Message is a published message. From, Seqno, Signature and Key are empty
// under the StrictNoSign policy.
type Message struct {
	From      []byte // field 1: the author's peer ID bytes
	Data      []byte // field 2
	Seqno     []byte // field 3: 8 bytes, big-endian, per author
	Topic     string // field 4
	Signature []byte // field 5
	Key       []byte // field 6: unused by gwyh (the ID is the key); kept for compatibility
}

// Message is field 2 of RPC ("publish"), repeated; its fields
// (pb/rpc.proto Message):
const (
	rpcFieldPublish = 2

	msgFieldFrom      = 1
	msgFieldData      = 2
	msgFieldSeqno     = 3
	msgFieldTopic     = 4
	msgFieldSignature = 5
	msgFieldKey       = 6
)

// Size returns the exact number of bytes Append writes for m: its body,
// without the key and length prefix it takes as a field of its parent.
func (m *Message) Size() int {
	return sizeOptField(len(m.From)) + sizeOptField(len(m.Data)) +
		sizeOptField(len(m.Seqno)) + sizeOptField(len(m.Topic)) +
		sizeOptField(len(m.Signature)) + sizeOptField(len(m.Key))
}

// Append appends m's protobuf body (Size bytes) to b and returns the
// extended slice.
func (m *Message) Append(b []byte) []byte {
	b = appendOptBytes(b, msgFieldFrom, m.From)
	b = appendOptBytes(b, msgFieldData, m.Data)
	b = appendOptBytes(b, msgFieldSeqno, m.Seqno)
	b = appendOptString(b, msgFieldTopic, m.Topic)
	b = appendOptBytes(b, msgFieldSignature, m.Signature)
	return appendOptBytes(b, msgFieldKey, m.Key)
}

// own moves m's strings into arena.
func (m *Message) own(arena []byte) []byte { return ownString(arena, &m.Topic) }

// message decodes one Message body, under MaxMessages and the limits on
// each of its fields.
func (d *decoder) message(f field) error {
	m, b, err := newEntry(f, &d.r.Publish, "messages", d.lim.MaxMessages)
	if err != nil {
		return err
	}
	*m = Message{}
	fr := fieldReader{b: b}
	for fr.next() {
		switch f := fr.f; f.num {
		case msgFieldFrom:
			m.From, fr.err = lenBytes(f, "from length", d.lim.MaxFromLen)
		case msgFieldData:
			m.Data, fr.err = lenBytes(f, "data size", d.lim.MaxDataSize)
		case msgFieldSeqno:
			m.Seqno, fr.err = lenBytes(f, "seqno length", d.lim.MaxSeqnoLen)
		case msgFieldTopic:
			m.Topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		case msgFieldSignature:
			m.Signature, fr.err = lenBytes(f, "signature length", d.lim.MaxSignatureLen)
		case msgFieldKey:
			m.Key, fr.err = lenBytes(f, "key length", d.lim.MaxKeyLen)
		}
	}
	return fr.err
}
