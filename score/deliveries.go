package score

import (
	"time"

	"github.com/gwyh/gwyh/peer"
)

// record returns the delivery record of msgID, creating it (first seen now,
// from `from`) if there is none. The pointer is valid until the next
// record is created.
func (s *Scorer) record(now time.Time, from peer.ID, msgID, topic string) *deliveryRecord {
	if r, _ := s.records.get(msgID); r != nil {
		return r
	}
	h := s.handleOf(from)
	r, seq, evicted := s.records.add(now, msgID, topic, h)
	s.handles.written(h, seq)
	s.stats.RecordsEvicted += uint64(evicted)
	return r
}

// handleOf returns p's handle, giving it one if it has none.
func (s *Scorer) handleOf(p peer.ID) peerHandle {
	if ps := s.peers[p]; ps != nil {
		return ps.handle
	}
	return s.handles.idleOf(p, s.records.head)
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
	tp := s.topics[r.topic]
	if tp == nil {
		return
	}
	for _, h := range r.peers {
		if ps := s.knownHandle(h); ps != nil && ps.connected {
			ps.topicOrAdd(r.topic, tp).addMeshDelivery()
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
	r, _ := s.records.get(msgID)
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
	tp := s.topics[r.topic]
	if tp == nil {
		return
	}
	for _, h := range r.peers {
		if ps := s.knownHandle(h); ps != nil {
			ps.topicOrAdd(r.topic, tp).invalidMessageDeliveries++
		}
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
	r, seq := s.records.get(msgID)
	s.duplicate(now, PeerRef{id: from}, r, seq)
}

// DuplicateMessageBytes is DuplicateMessage with the id as bytes, looked
// up without allocating; msgID is not kept (router.DuplicateBytesScorer).
func (s *Scorer) DuplicateMessageBytes(now time.Time, from peer.ID, msgID []byte, topic string) {
	s.advance(now)
	r, seq := s.records.getBytes(msgID)
	s.duplicate(now, PeerRef{id: from}, r, seq)
}

// DuplicateMessageRef is DuplicateMessageBytes with the sender as a handle
// (Ref), which saves looking it up by ID while it is connected
// (router.RefScorer).
func (s *Scorer) DuplicateMessageRef(now time.Time, from PeerRef, msgID []byte, topic string) {
	s.advance(now)
	r, seq := s.records.getBytes(msgID)
	s.duplicate(now, from, r, seq)
}

// duplicate credits (P3) or penalises (P4) from for a later copy of the
// message recorded in r, number seq (nil: unknown or expired).
func (s *Scorer) duplicate(now time.Time, from PeerRef, r *deliveryRecord, seq uint64) {
	if r == nil || r.status == statusIgnored {
		return
	}
	ps, h := s.sender(from)
	if !r.admits(h, &s.stats.RecordPeersDropped) {
		return
	}
	if h == noHandle {
		h = s.handles.idleOf(from.id, s.records.head)
	}
	r.addPeer(h)
	s.handles.written(h, seq)
	switch r.status {
	case statusValid:
		// Most copies come too late or from outside the mesh and change
		// nothing: ps's cached score is only marked stale when they do.
		tp := s.topics[r.topic]
		if tp == nil {
			return
		}
		if ps == nil {
			s.stats.UnknownPeerEvents++
			return
		}
		if !ps.connected {
			return
		}
		ts := ps.topicOrAddQuiet(r.topic, tp)
		if ts.inMesh && s.records.seenBy(now, r, ts.params.MeshMessageDeliveriesWindow) && ts.addMeshDelivery() {
			ps.stale = true
		}
	case statusInvalid:
		if tp := s.topics[r.topic]; tp != nil {
			if ps == nil {
				s.stats.UnknownPeerEvents++
				return
			}
			ps.topicOrAdd(r.topic, tp).invalidMessageDeliveries++
		}
	}
}

// sender returns the stats of p's peer (nil, uncounted, when it is not
// known) and its handle (noHandle when it has none). A connected peer's
// handle is read from p, without a lookup by ID.
func (s *Scorer) sender(p PeerRef) (*peerStats, peerHandle) {
	ps := p.ps
	if ps == nil || !ps.connected {
		ps = s.peers[p.id]
	}
	if ps != nil {
		return ps, ps.handle
	}
	if h, ok := s.handles.idle[p.id]; ok {
		return nil, h
	}
	return nil, noHandle
}

// knownHandle is known for a peer named by handle: its stats, or nil
// (counted) if it is not known.
func (s *Scorer) knownHandle(h peerHandle) *peerStats {
	ps := s.handles.stats(h)
	if ps == nil {
		s.stats.UnknownPeerEvents++
	}
	return ps
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
