package score

import (
	"time"

	"github.com/gwyh/gwyh/peer"
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

// deliveryRecord is what is remembered about one message id.
type deliveryRecord struct {
	topic     string
	firstSeen time.Time
	from      peer.ID // the first sender
	status    deliveryStatus
	peers     []peer.ID // later senders, in arrival order, deduplicated
}

// addPeer remembers p as a sender of a copy. It reports false if p was
// already remembered or the record is full (counted in *full).
func (r *deliveryRecord) addPeer(p peer.ID, full *uint64) bool {
	if p == r.from {
		return false
	}
	for _, q := range r.peers {
		if q == p {
			return false
		}
	}
	if len(r.peers) >= maxRecordPeers {
		*full++
		return false
	}
	r.peers = append(r.peers, p)
	return true
}

// deliveryRecords maps message ids to records, bounded in time and count.
// The FIFO holds records in creation order; expiry and eviction pop it.
type deliveryRecords struct {
	ttl  time.Duration
	max  int
	byID map[string]*deliveryRecord
	fifo []fifoEntry
	head int
	// free holds dropped records for reuse (with their peers slices), so
	// that steady traffic does not allocate a record per message.
	free []*deliveryRecord
}

// maxFreeRecords bounds the reuse list.
const maxFreeRecords = 1024

type fifoEntry struct {
	id  string
	rec *deliveryRecord
}

func (d *deliveryRecords) init(ttl time.Duration, maxRecords int) {
	d.ttl, d.max = ttl, maxRecords
	if d.ttl == 0 {
		d.ttl = DefaultDeliveryRecordTTL
	}
	if d.max == 0 {
		d.max = DefaultMaxDeliveryRecords
	}
	d.byID = make(map[string]*deliveryRecord)
}

func (d *deliveryRecords) len() int { return len(d.byID) }

// get returns the record of id, or nil.
func (d *deliveryRecords) get(id string) *deliveryRecord { return d.byID[id] }

// getBytes is get with the id as bytes, without allocating.
func (d *deliveryRecords) getBytes(id []byte) *deliveryRecord { return d.byID[string(id)] }

// add creates the record of id (which must not exist), evicting the oldest
// when full; it returns the number of records evicted.
func (d *deliveryRecords) add(now time.Time, id, topic string, from peer.ID) (*deliveryRecord, int) {
	evicted := 0
	for len(d.byID) >= d.max && d.pop() {
		evicted++
	}
	var r *deliveryRecord
	if n := len(d.free); n > 0 {
		r, d.free = d.free[n-1], d.free[:n-1]
		*r = deliveryRecord{peers: r.peers[:0]}
	} else {
		r = &deliveryRecord{}
	}
	r.topic, r.firstSeen, r.from = topic, now, from
	d.byID[id] = r
	d.fifo = append(d.fifo, fifoEntry{id: id, rec: r})
	return r, evicted
}

// expire drops the records first seen at or before now − ttl and returns
// how many it dropped.
func (d *deliveryRecords) expire(now time.Time) int {
	n := 0
	for d.head < len(d.fifo) && !now.Before(d.fifo[d.head].rec.firstSeen.Add(d.ttl)) {
		d.pop()
		n++
	}
	return n
}

// pop drops the oldest record; false if there is none.
func (d *deliveryRecords) pop() bool {
	if d.head == len(d.fifo) {
		return false
	}
	e := d.fifo[d.head]
	d.fifo[d.head] = fifoEntry{}
	d.head++
	if d.byID[e.id] == e.rec {
		delete(d.byID, e.id)
		if len(d.free) < maxFreeRecords {
			d.free = append(d.free, e.rec)
		}
	}
	if d.head > 1024 && d.head*2 > len(d.fifo) {
		d.fifo = append(d.fifo[:0], d.fifo[d.head:]...)
		d.head = 0
	}
	return true
}
