package score

import (
	"math"
	"math/bits"
	"time"
)

// maxRecordPeers bounds the peers remembered per delivery record.
const maxRecordPeers = 64

// deliveryStatus is the validation outcome of a message.
type deliveryStatus uint8

const (
	statusValidating deliveryStatus = iota
	statusValid
	statusInvalid
	statusIgnored
)

// deliveryRecord is what is remembered about one message id. It lives by
// value in its slot of the deliveryRecords ring and names peers by handle
// (peerHandles): 72 bytes, plus 4 per remembered peer.
type deliveryRecord struct {
	id        string // the message id, to unmap it when the record leaves
	topic     string
	firstSeen int64      // nanoseconds since deliveryRecords.base
	from      peerHandle // the first sender
	status    deliveryStatus
	// peers are the later senders, in arrival order, deduplicated. The
	// backing array stays with the ring slot for the records after this
	// one.
	peers []peerHandle
}

// firstPeersCap is the capacity of a record's peers when its slot has
// none yet: the copies a node typically gets of a message in gwyh sim
// (4.3 per message per node at 1,000 nodes) fit without a second
// allocation.
const firstPeersCap = 4

// admits reports whether h may be remembered as a sender of a copy: not
// the first sender nor already remembered, and room left (a full record
// counts the refusal in *full). noHandle, a peer that has no handle, is
// never the sender of anything recorded.
func (r *deliveryRecord) admits(h peerHandle, full *uint64) bool {
	if h == r.from {
		return false
	}
	for _, q := range r.peers {
		if q == h {
			return false
		}
	}
	if len(r.peers) >= maxRecordPeers {
		*full++
		return false
	}
	return true
}

// addPeer remembers h, which admits accepted, as the sender of a copy.
func (r *deliveryRecord) addPeer(h peerHandle) {
	if cap(r.peers) == 0 {
		r.peers = make([]peerHandle, 0, firstPeersCap)
	}
	r.peers = append(r.peers, h)
}

// deliveryRecords maps message ids to records, bounded in time and count.
//
// Records are created, and leave (expired or evicted), in creation order,
// so they are kept by value in a ring in that order: the record with
// sequence number seq is at ring[seq&(len(ring)-1)] while head ≤ seq <
// tail, and byID maps each live id to its record's seq. The ring doubles
// when it is full and more records are allowed (up to the power of two
// at or above max); a slot is reused with its peers array, so records at
// steady state allocate nothing. A *deliveryRecord is valid until the
// next add.
type deliveryRecords struct {
	ttl  time.Duration
	max  int
	byID map[string]uint64
	ring []deliveryRecord
	head uint64 // seq of the oldest live record
	tail uint64 // seq of the next record
	// base is the origin of firstSeen: the now of the first record. A
	// record's time as an offset from it (8 bytes, not time.Time's 24)
	// compares exactly as the times would, monotonic readings included,
	// for times within 292 years of base.
	base time.Time
}

// minRing is the ring's first size (smaller if max is).
const minRing = 8

func (d *deliveryRecords) init(ttl time.Duration, maxRecords int) {
	d.ttl, d.max = ttl, maxRecords
	if d.ttl == 0 {
		d.ttl = DefaultDeliveryRecordTTL
	}
	if d.max == 0 {
		d.max = DefaultMaxDeliveryRecords
	}
	d.byID = make(map[string]uint64)
}

func (d *deliveryRecords) len() int { return int(d.tail - d.head) }

// at returns the live record seq.
func (d *deliveryRecords) at(seq uint64) *deliveryRecord {
	return &d.ring[seq&uint64(len(d.ring)-1)]
}

// get returns the record of id and its seq, or nil.
func (d *deliveryRecords) get(id string) (*deliveryRecord, uint64) {
	seq, ok := d.byID[id]
	if !ok {
		return nil, 0
	}
	return d.at(seq), seq
}

// getBytes is get with the id as bytes, without allocating.
func (d *deliveryRecords) getBytes(id []byte) (*deliveryRecord, uint64) {
	seq, ok := d.byID[string(id)]
	if !ok {
		return nil, 0
	}
	return d.at(seq), seq
}

// add creates the record of id (which must not exist), evicting the oldest
// when full; it returns the record, its seq and the number of records
// evicted.
func (d *deliveryRecords) add(now time.Time, id, topic string, from peerHandle) (*deliveryRecord, uint64, int) {
	evicted := 0
	for d.len() >= d.max && d.pop() {
		evicted++
	}
	if d.len() == len(d.ring) {
		d.grow()
	}
	if d.tail == d.head {
		d.base = now // no live record is relative to the old base
	}
	seq := d.tail
	d.tail++
	r := d.at(seq)
	*r = deliveryRecord{id: id, topic: topic, firstSeen: d.since(now), from: from, peers: r.peers[:0]}
	d.byID[id] = seq
	return r, seq, evicted
}

// grow doubles the ring (or makes the first one), laying each live record
// out at its seq in the new size.
func (d *deliveryRecords) grow() {
	n := 2 * len(d.ring)
	if n == 0 {
		n = minRing
		if d.max < minRing {
			n = 1 << bits.Len(uint(d.max-1)) // max ≥ 1
		}
	}
	ring := make([]deliveryRecord, n)
	for seq := d.head; seq < d.tail; seq++ {
		ring[seq&uint64(n-1)] = *d.at(seq)
	}
	d.ring = ring
}

// since returns now as nanoseconds since base.
func (d *deliveryRecords) since(now time.Time) int64 { return int64(now.Sub(d.base)) }

// seenBy reports whether now is at or before r's first receipt plus w, as
// !now.After(firstSeen.Add(w)).
func (d *deliveryRecords) seenBy(now time.Time, r *deliveryRecord, w time.Duration) bool {
	return d.since(now) <= addSat(r.firstSeen, w)
}

// addSat returns t + w for w ≥ 0, saturating as time.Time.Add does.
func addSat(t int64, w time.Duration) int64 {
	if t > math.MaxInt64-int64(w) {
		return math.MaxInt64
	}
	return t + int64(w)
}

// expire drops the records first seen at or before now − ttl and returns
// how many it dropped. It stops at the oldest record that has not
// expired.
func (d *deliveryRecords) expire(now time.Time) int {
	n, t := 0, d.since(now)
	for d.head < d.tail && t >= addSat(d.at(d.head).firstSeen, d.ttl) {
		d.pop()
		n++
	}
	return n
}

// pop drops the oldest record; false if there is none. Its slot keeps
// its peers array and lets go of its strings.
func (d *deliveryRecords) pop() bool {
	if d.head == d.tail {
		return false
	}
	r := d.at(d.head)
	delete(d.byID, r.id)
	*r = deliveryRecord{peers: r.peers[:0]}
	d.head++
	return true
}
