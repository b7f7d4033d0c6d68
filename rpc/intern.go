package rpc

import "unsafe"

// intern copies every string of d.r, which still alias the payload, into
// one arena allocated once and never written after its strings are made.
func (d *decoder) internAll() {
	if d.strBytes == 0 {
		return
	}
	d.arena = make([]byte, 0, d.strBytes)
	r := d.r
	for i := range r.Subscriptions {
		d.own(&r.Subscriptions[i].Topic)
	}
	for i := range r.Publish {
		d.own(&r.Publish[i].Topic)
	}
	for i := range r.IHave {
		d.own(&r.IHave[i].Topic)
		d.ownAll(r.IHave[i].IDs)
	}
	for i := range r.IWant {
		d.ownAll(r.IWant[i].IDs)
	}
	for i := range r.Graft {
		d.own(&r.Graft[i].Topic)
	}
	for i := range r.Prune {
		d.own(&r.Prune[i].Topic)
	}
	for i := range r.IDontWant {
		d.ownAll(r.IDontWant[i].IDs)
	}
}

// own moves *s into the arena.
func (d *decoder) own(s *string) {
	if len(*s) == 0 {
		return
	}
	start := len(d.arena)
	d.arena = append(d.arena, *s...)
	*s = unsafe.String(&d.arena[start], len(*s))
}

// ownAll moves every string of ids into the arena.
func (d *decoder) ownAll(ids []string) {
	for i := range ids {
		d.own(&ids[i])
	}
}
