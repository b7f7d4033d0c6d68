package rpc

// IDontWant (GossipSub v1.2) asks the receiver not to send these messages.
type IDontWant struct {
	IDs []string // field 1, "messageIDs"
}

// ControlIDontWant is field 5 of ControlMessage, repeated; its field
// (pb/rpc.proto ControlIDontWant):
const (
	ctlFieldIDontWant = 5

	idontwantFieldIDs = 1 // "messageIDs"
)

// Size returns the exact number of bytes Append writes for d: its body,
// without the key and length prefix it takes as a field of its parent.
func (d *IDontWant) Size() int { return sizeIDs(d.IDs) }

// Append appends d's protobuf body (Size bytes) to b and returns the
// extended slice.
func (d *IDontWant) Append(b []byte) []byte { return appendIDs(b, idontwantFieldIDs, d.IDs) }

// own moves d's strings into arena.
func (d *IDontWant) own(arena []byte) []byte { return ownStrings(arena, d.IDs) }

// idontwant decodes one ControlIDontWant body, under MaxIDontWant,
// MaxIDontWantIDs (over the payload) and MaxIDLen.
func (d *decoder) idontwant(f field) error {
	e, b, err := newEntry(f, &d.r.IDontWant, "IDONTWANT entries", d.lim.MaxIDontWant)
	if err != nil {
		return err
	}
	return d.ids(b, idList{ctlFieldIDontWant, idontwantFieldIDs, nil, "IDONTWANT ids", d.lim.MaxIDontWantIDs}, &e.IDs)
}
