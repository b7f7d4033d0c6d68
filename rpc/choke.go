package rpc

// The choke extension (gwyh's addition to ControlMessage; libp2p/specs PR
// #681, after Episub's CHOKE/UNCHOKE): a router tells a mesh peer whose
// copies keep arriving late to send it IHAVE instead of full messages for
// a topic (Choke), and to send full messages again (Unchoke). A libp2p
// decoder skips both as unknown fields, so a peer that does not know the
// extension keeps sending: mixing is safe.

// Choke asks the receiver, a mesh peer of Topic, to send the sender IHAVE
// for Topic's forwarded messages instead of the messages.
type Choke struct {
	Topic string // field 1, "topicID"
}

// Unchoke asks the receiver to forward Topic's messages in full again.
type Unchoke struct {
	Topic string // field 1, "topicID"
}

// ControlChoke and ControlUnchoke are fields 14 and 15 of ControlMessage,
// repeated, well clear of libp2p's numbers; their one field
// (pb/rpc.proto):
const (
	ctlFieldChoke   = 14
	ctlFieldUnchoke = 15

	chokeFieldTopic = 1 // "topicID", in both
)

// Size returns the exact number of bytes Append writes for c: its body,
// without the key and length prefix it takes as a field of its parent.
func (c *Choke) Size() int { return sizeOptField(len(c.Topic)) }

// Append appends c's protobuf body (Size bytes) to b and returns the
// extended slice.
func (c *Choke) Append(b []byte) []byte { return appendOptString(b, chokeFieldTopic, c.Topic) }

// own moves c's strings into arena.
func (c *Choke) own(arena []byte) []byte { return ownString(arena, &c.Topic) }

// Size returns the exact number of bytes Append writes for u.
func (u *Unchoke) Size() int { return sizeOptField(len(u.Topic)) }

// Append appends u's protobuf body (Size bytes) to b and returns the
// extended slice.
func (u *Unchoke) Append(b []byte) []byte { return appendOptString(b, chokeFieldTopic, u.Topic) }

// own moves u's strings into arena.
func (u *Unchoke) own(arena []byte) []byte { return ownString(arena, &u.Topic) }

// choke decodes one ControlChoke body, under MaxChoke and MaxTopicLen.
func (d *decoder) choke(f field) error {
	c, b, err := newEntry(f, &d.r.Choke, "CHOKE entries", d.lim.MaxChoke)
	if err != nil {
		return err
	}
	*c = Choke{}
	return d.topicOnly(b, &c.Topic)
}

// unchoke decodes one ControlUnchoke body, under MaxChoke and MaxTopicLen.
func (d *decoder) unchoke(f field) error {
	u, b, err := newEntry(f, &d.r.Unchoke, "UNCHOKE entries", d.lim.MaxChoke)
	if err != nil {
		return err
	}
	*u = Unchoke{}
	return d.topicOnly(b, &u.Topic)
}

// topicOnly decodes a body whose one known field is the topic (field 1).
func (d *decoder) topicOnly(b []byte, topic *string) error {
	fr := fieldReader{b: b}
	for fr.next() {
		if f := fr.f; f.num == chokeFieldTopic {
			*topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
	}
	return fr.err
}
