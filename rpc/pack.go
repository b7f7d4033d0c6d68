package rpc

// Pack splits r into payloads of at most mtu bytes each, appends them to
// dst[:0] and returns the result. Each payload is one complete RPC protobuf.
//
// Order and rule: the parts of r are taken in this order — subscriptions,
// GRAFTs, PRUNEs, CHOKEs, UNCHOKEs (so a GRAFT arrives with or before the
// messages), messages,
// IWANTs, IDONTWANTs, IHAVEs — and poured into payloads "next-fit": a part
// goes into the current payload if it fits, else the current payload is
// closed and a new one opened; a closed payload is never revisited. Control
// thus piggybacks in the space messages leave. IHAVE, IWANT and IDONTWANT id
// lists are split across payloads when they do not fit whole (a split IHAVE
// repeats its topic). A part that alone exceeds mtu (a large Message, a PRUNE
// with many peers, one huge id) goes out alone in its own payload, which
// is then larger than mtu (the transport fragments it). Within a payload,
// fields are in field-number order. The same r and mtu give the same bytes.
//
// Buffers: Pack reuses the backing arrays of dst's elements up to cap(dst)
// (dst[:cap(dst)][i][:0]), so they must not overlap and their previous
// content is overwritten; once warm, a call does not allocate. The returned
// payloads do not alias r. Pack only reads r, so calls may run concurrently
// on the same r (not on the same dst). An empty r gives no payloads.
func Pack(dst [][]byte, r *RPC, mtu int) [][]byte {
	p := packer{r: r, mtu: mtu, out: dst[:0]}
	p.clear()
	p.run()
	return p.out
}

// Phases of packing, in the order parts are taken.
const (
	phSub = iota
	phGraft
	phPrune
	phChoke
	phUnchoke
	phMsg
	phIWant
	phIDontWant
	phIHave
	numPhases
)

// span is the part of one phase's list in the current payload: entries
// [lo, hi); for id lists, the ids of entry lo start at loOff and those of
// entry hi-1 end at hiOff. lo < 0 means none.
type span struct{ lo, hi, loOff, hiOff int }

// packer is the state of one Pack call. It lives on the stack.
type packer struct {
	r    *RPC
	mtu  int
	out  [][]byte
	plan [numPhases]span
	top  int // bytes of RPC-level fields (subscriptions, messages) so far
	ctl  int // bytes of the ControlMessage body so far
	n    int // parts in the current payload
}

// run pours every part of p.r into payloads.
func (p *packer) run() {
	r := p.r
	for i := range r.Subscriptions {
		p.addTop(phSub, i, sizeField(r.Subscriptions[i].Size()))
	}
	for i := range r.Graft {
		p.addCtl(phGraft, i, 0, 0, sizeField(r.Graft[i].Size()))
	}
	for i := range r.Prune {
		p.addCtl(phPrune, i, 0, 0, sizeField(r.Prune[i].Size()))
	}
	for i := range r.Choke {
		p.addCtl(phChoke, i, 0, 0, sizeField(r.Choke[i].Size()))
	}
	for i := range r.Unchoke {
		p.addCtl(phUnchoke, i, 0, 0, sizeField(r.Unchoke[i].Size()))
	}
	for i := range r.Publish {
		p.addTop(phMsg, i, sizeField(r.Publish[i].Size()))
	}
	for i := range r.IWant {
		p.addSplit(phIWant, i, 0, r.IWant[i].IDs)
	}
	for i := range r.IDontWant {
		p.addSplit(phIDontWant, i, 0, r.IDontWant[i].IDs)
	}
	for i := range r.IHave {
		p.addSplit(phIHave, i, sizeOptField(len(r.IHave[i].Topic)), r.IHave[i].IDs)
	}
	if p.n > 0 {
		p.flush()
	}
}

// total returns the current payload's length.
func (p *packer) total() int {
	if p.ctl == 0 {
		return p.top
	}
	return p.top + sizeField(p.ctl)
}

// fitsTop reports whether an RPC-level field of f bytes fits.
func (p *packer) fitsTop(f int) bool { return p.total()+f <= p.mtu }

// fitsCtl reports whether a control entry field of f bytes fits.
func (p *packer) fitsCtl(f int) bool { return p.top+sizeField(p.ctl+f) <= p.mtu }

// addTop adds entry i of an RPC-level phase, whose field takes f bytes.
func (p *packer) addTop(ph, i, f int) {
	if p.n > 0 && !p.fitsTop(f) {
		p.flush()
	}
	p.mark(ph, i, 0, 0)
	p.top += f
}

// addCtl adds entry i of a control phase, whose field takes f bytes, with
// ids [from, to) for id lists.
func (p *packer) addCtl(ph, i, from, to, f int) {
	if p.n > 0 && !p.fitsCtl(f) {
		p.flush()
	}
	p.mark(ph, i, from, to)
	p.ctl += f
}

// mark records entry i (ids [from, to)) of phase ph in the current payload.
func (p *packer) mark(ph, i, from, to int) {
	s := &p.plan[ph]
	if s.lo < 0 {
		s.lo, s.loOff = i, from
	}
	s.hi, s.hiOff = i+1, to
	p.n++
}

// addSplit adds entry i of an id-list phase: an optional topic field of
// topic bytes and ids, split over as many payloads as it takes.
func (p *packer) addSplit(ph, i, topic int, ids []string) {
	off := 0
	for {
		body, end := topic, off
		for end < len(ids) {
			nb := body + sizeField(len(ids[end]))
			if !p.fitsCtl(sizeField(nb)) {
				break
			}
			body, end = nb, end+1
		}
		done := end == len(ids)
		if end == off && !(done && p.fitsCtl(sizeField(body))) {
			if p.n > 0 {
				p.flush()
				continue
			}
			// Alone in a payload and still too large: one id (or the bare
			// entry) goes out oversized.
			if !done {
				body += sizeField(len(ids[end]))
				end++
			}
			done = end == len(ids)
		}
		p.mark(ph, i, off, end)
		p.ctl += sizeField(body)
		if done {
			return
		}
		p.flush()
		off = end
	}
}

// clear empties the plan for a new payload.
func (p *packer) clear() {
	for i := range p.plan {
		p.plan[i] = span{lo: -1}
	}
	p.top, p.ctl, p.n = 0, 0, 0
}
