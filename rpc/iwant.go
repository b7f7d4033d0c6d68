package rpc

// IWant asks for full messages by id, in answer to an IHave.
type IWant struct {
	IDs []string // field 1, "messageIDs"
}

// ControlIWant is field 2 of ControlMessage, repeated; its field
// (pb/rpc.proto ControlIWant):
const (
	ctlFieldIWant = 2

	iwantFieldIDs = 1 // "messageIDs"
)

// Size returns the exact number of bytes Append writes for iw: its body,
// without the key and length prefix it takes as a field of its parent.
func (iw *IWant) Size() int { return sizeIDs(iw.IDs) }

// Append appends iw's protobuf body (Size bytes) to b and returns the
// extended slice.
func (iw *IWant) Append(b []byte) []byte { return appendIDs(b, iwantFieldIDs, iw.IDs) }

// own moves iw's strings into arena.
func (iw *IWant) own(arena []byte) []byte { return ownStrings(arena, iw.IDs) }

// iwant decodes one ControlIWant body, under MaxIWant, MaxIWantIDs (over
// the payload) and MaxIDLen.
func (d *decoder) iwant(f field) error {
	e, b, err := newEntry(f, &d.r.IWant, "IWANT entries", d.lim.MaxIWant)
	if err != nil {
		return err
	}
	return d.ids(b, idList{ctlFieldIWant, iwantFieldIDs, nil, "IWANT ids", d.lim.MaxIWantIDs}, &e.IDs)
}
