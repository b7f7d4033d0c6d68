package rpc

// IHave advertises message ids recently seen in a topic (gossip).
type IHave struct {
	Topic string   // field 1, "topicID"
	IDs   []string // field 2, "messageIDs", bytes on the wire
}

// ControlIHave is field 1 of ControlMessage, repeated; its fields
// (pb/rpc.proto ControlIHave):
const (
	ctlFieldIHave = 1

	ihaveFieldTopic = 1 // "topicID"
	ihaveFieldIDs   = 2 // "messageIDs"
)

// Size returns the exact number of bytes Append writes for ih: its body,
// without the key and length prefix it takes as a field of its parent.
func (ih *IHave) Size() int { return sizeOptField(len(ih.Topic)) + sizeIDs(ih.IDs) }

// Append appends ih's protobuf body (Size bytes) to b and returns the
// extended slice.
func (ih *IHave) Append(b []byte) []byte {
	b = appendOptString(b, ihaveFieldTopic, ih.Topic)
	return appendIDs(b, ihaveFieldIDs, ih.IDs)
}

// own moves ih's strings into arena.
func (ih *IHave) own(arena []byte) []byte {
	return ownStrings(ownString(arena, &ih.Topic), ih.IDs)
}

// ihave decodes one ControlIHave body, under MaxIHave, MaxIHaveIDs (over
// the payload), MaxTopicLen and MaxIDLen.
func (d *decoder) ihave(f field) error {
	e, b, err := newEntry(f, &d.r.IHave, "IHAVE entries", d.lim.MaxIHave)
	if err != nil {
		return err
	}
	e.Topic = ""
	return d.ids(b, idList{ctlFieldIHave, ihaveFieldIDs, &e.Topic, "IHAVE ids", d.lim.MaxIHaveIDs}, &e.IDs)
}
