package mesh

// DontWant is one peer's IDONTWANT memory (gossipsub-v1.2.md): the message
// ids it asked us not to send, each remembered for TTL heartbeats. At most
// Max ids are accepted per heartbeat, so the memory never exceeds
// Max × (TTL+1) ids. The zero value is an empty memory with no ids
// accepted; use Reset to set the bounds. Not safe for concurrent use.
type DontWant struct {
	ids       map[string]uint64 // id → heartbeat it was received in
	max, ttl  int
	thisBeat  int
	heartbeat uint64
}

// Reset sets the bounds and forgets everything.
func (d *DontWant) Reset(max, ttl int) {
	*d = DontWant{max: max, ttl: ttl}
}

// Add remembers id; it returns false (and forgets nothing) when Max ids
// were already accepted this heartbeat. A repeated id refreshes its age and
// counts against the budget.
func (d *DontWant) Add(id string) bool {
	if d.thisBeat >= d.max {
		return false
	}
	d.thisBeat++
	if d.ids == nil {
		d.ids = make(map[string]uint64)
	}
	d.ids[id] = d.heartbeat
	return true
}

// Has reports whether id is remembered.
func (d *DontWant) Has(id string) bool {
	if len(d.ids) == 0 {
		return false
	}
	_, ok := d.ids[id]
	return ok
}

// Heartbeat starts a new heartbeat: the per-heartbeat budget is renewed and
// ids older than TTL heartbeats are forgotten.
func (d *DontWant) Heartbeat() {
	d.heartbeat++
	d.thisBeat = 0
	for id, h := range d.ids {
		if d.heartbeat-h >= uint64(d.ttl) {
			delete(d.ids, id)
		}
	}
}

// Len returns the number of ids remembered.
func (d *DontWant) Len() int { return len(d.ids) }
