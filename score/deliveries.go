package score

import (
	"time"

	"github.com/gwyh/gwyh/peer"
)

// record returns the delivery record of msgID, creating it (first seen now,
// from `from`) if there is none.
func (s *Scorer) record(now time.Time, from peer.ID, msgID, topic string) *deliveryRecord {
	if r := s.records.get(msgID); r != nil {
		return r
	}
	r, evicted := s.records.add(now, msgID, topic, from)
	s.stats.RecordsEvicted += uint64(evicted)
	return r
}

// ValidateMessage records the first receipt of msgID from `from`:
// validation begins and the first-seen time is now. Copies that arrive
// while it validates are remembered for DeliverMessage or RejectMessage.
func (s *Scorer) ValidateMessage(now time.Time, from peer.ID, msgID, topic string) {
	s.advance(now)
	s.record(now, from, msgID, topic)
}

// DeliverMessage records that msgID passed validation. `from` earns a
// first delivery (P2, and P3 if it is in our mesh); mesh peers that sent a
// copy while it was validating earn P3. If ValidateMessage was not called
// the receipt counts as now. A second outcome for the same message is
// ignored (counted in Stats.LateOutcomes).
func (s *Scorer) DeliverMessage(now time.Time, from peer.ID, msgID, topic string) {
	s.advance(now)
	r := s.record(now, from, msgID, topic)
	if r.status != statusValidating {
		s.stats.LateOutcomes++
		return
	}
	r.status = statusValid
	if ts := s.creditable(from, r.topic); ts != nil {
		ts.addFirstDelivery()
	}
	for _, p := range r.peers {
		if ts := s.creditable(p, r.topic); ts != nil {
			ts.addMeshDelivery()
		}
	}
}

// RejectMessage records that msgID did not pass validation. With
// ReasonInvalid, `from` and every peer that sent a copy while it validated
// earn a P4 invalid-message count, and so does every later copy; with
// ReasonIgnored (or any other reason) no one is penalised and later copies
// earn nothing. A message that never began validation (no
// ValidateMessage, e.g. a bad signature) only penalises `from` and leaves
// no record: a forged copy must not taint the real message's senders.
func (s *Scorer) RejectMessage(now time.Time, from peer.ID, msgID, topic string, reason Reason) {
	s.advance(now)
	r := s.records.get(msgID)
	if r == nil {
		if reason == ReasonInvalid {
			s.markInvalid(from, topic)
		}
		return
	}
	if r.status != statusValidating {
		s.stats.LateOutcomes++
		return
	}
	if reason != ReasonInvalid {
		r.status = statusIgnored
		r.peers = r.peers[:0]
		return
	}
	r.status = statusInvalid
	s.markInvalid(from, r.topic)
	for _, p := range r.peers {
		s.markInvalid(p, r.topic)
	}
}

// DuplicateMessage records a later copy of msgID from `from`. While the
// message validates the sender is remembered; once accepted, a mesh peer's
// copy within MeshMessageDeliveriesWindow of the first receipt earns P3;
// once rejected as invalid, the copy earns P4. Each peer counts once per
// message. A copy of a message with no record (expired, or never seen) is
// ignored.
func (s *Scorer) DuplicateMessage(now time.Time, from peer.ID, msgID, topic string) {
	s.advance(now)
	s.duplicate(now, PeerRef{id: from}, s.records.get(msgID))
}

// DuplicateMessageBytes is DuplicateMessage with the id as bytes, looked
// up without allocating; msgID is not kept (router.DuplicateBytesScorer).
func (s *Scorer) DuplicateMessageBytes(now time.Time, from peer.ID, msgID []byte, topic string) {
	s.advance(now)
	s.duplicate(now, PeerRef{id: from}, s.records.getBytes(msgID))
}

// DuplicateMessageRef is DuplicateMessageBytes with the sender as a handle
// (Ref), which saves looking it up by ID while it is connected
// (router.RefScorer).
func (s *Scorer) DuplicateMessageRef(now time.Time, from PeerRef, msgID []byte, topic string) {
	s.advance(now)
	s.duplicate(now, from, s.records.getBytes(msgID))
}

// duplicate credits (P3) or penalises (P4) from for a later copy of the
// message recorded in r (nil: unknown or expired).
func (s *Scorer) duplicate(now time.Time, from PeerRef, r *deliveryRecord) {
	if r == nil {
		return
	}
	if r.status == statusIgnored || !r.addPeer(from.id, &s.stats.RecordPeersDropped) {
		return
	}
	switch r.status {
	case statusValid:
		// Most copies come too late or from outside the mesh and change
		// nothing: ps's cached score is only marked stale when they do.
		ps, ts := s.creditableQuiet(from, r.topic)
		if ts != nil && !now.After(r.firstSeen.Add(ts.params.MeshMessageDeliveriesWindow)) && ts.addMeshDelivery() {
			ps.stale = true
		}
	case statusInvalid:
		s.markInvalid(from.id, r.topic)
	}
}

// creditable returns the topic stats of a connected peer in a scored
// topic, creating them, or nil. Only connected peers earn credit.
func (s *Scorer) creditable(p peer.ID, topic string) *topicStats {
	tp := s.topics[topic]
	if tp == nil {
		return nil
	}
	ps := s.known(p)
	if ps == nil || !ps.connected {
		return nil
	}
	return ps.topicOrAdd(topic, tp)
}

// creditableQuiet is creditable through topicOrAddQuiet, for a peer given
// as a handle (looked up by ID unless it is connected, see ScoreRef): the
// caller marks ps stale if it changes the stats.
func (s *Scorer) creditableQuiet(p PeerRef, topic string) (*peerStats, *topicStats) {
	tp := s.topics[topic]
	if tp == nil {
		return nil, nil
	}
	ps := p.ps
	if ps == nil || !ps.connected {
		ps = s.known(p.id)
	}
	if ps == nil || !ps.connected {
		return nil, nil
	}
	return ps, ps.topicOrAddQuiet(topic, tp)
}

// markInvalid adds one P4 count to a known (connected or retained) peer.
func (s *Scorer) markInvalid(p peer.ID, topic string) {
	tp := s.topics[topic]
	if tp == nil {
		return
	}
	if ps := s.known(p); ps != nil {
		ps.topicOrAdd(topic, tp).invalidMessageDeliveries++
	}
}
