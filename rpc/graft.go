package rpc

// Graft asks the receiver to add the sender to its mesh for Topic.
type Graft struct {
	Topic string // field 1, "topicID"
}

// ControlGraft is field 3 of ControlMessage, repeated; its field
// (pb/rpc.proto ControlGraft):
const (
	ctlFieldGraft = 3

	graftFieldTopic = 1 // "topicID"
)

// Size returns the exact number of bytes Append writes for g: its body,
// without the key and length prefix it takes as a field of its parent.
func (g *Graft) Size() int { return sizeOptField(len(g.Topic)) }

// Append appends g's protobuf body (Size bytes) to b and returns the
// extended slice.
func (g *Graft) Append(b []byte) []byte { return appendOptString(b, graftFieldTopic, g.Topic) }

// own moves g's strings into arena.
func (g *Graft) own(arena []byte) []byte { return ownString(arena, &g.Topic) }

// graft decodes one ControlGraft body, under MaxGraft and MaxTopicLen.
func (d *decoder) graft(f field) error {
	g, b, err := newEntry(f, &d.r.Graft, "GRAFT entries", d.lim.MaxGraft)
	if err != nil {
		return err
	}
	*g = Graft{}
	fr := fieldReader{b: b}
	for fr.next() {
		if f := fr.f; f.num == graftFieldTopic {
			g.Topic, fr.err = d.str(f, "topic length", d.lim.MaxTopicLen)
		}
	}
	return fr.err
}
