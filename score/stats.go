package score

// Stats are the Scorer's counters, for metrics. Counts of things ignored
// or dropped only grow; the sizes are current.
type Stats struct {
	// Peers and RetainedPeers are the connected and the disconnected but
	// retained peers.
	Peers, RetainedPeers int
	// DeliveryRecords is the number of message delivery records held.
	DeliveryRecords int

	// UnknownPeerEvents counts events about peers that were never added
	// or were already forgotten (or removed twice); they were ignored.
	UnknownPeerEvents uint64
	// LateOutcomes counts DeliverMessage and RejectMessage calls for a
	// message whose outcome was already recorded; they were ignored.
	LateOutcomes uint64
	// RecordsExpired counts delivery records dropped after
	// DeliveryRecordTTL; RecordsEvicted those dropped early because
	// MaxDeliveryRecords was reached.
	RecordsExpired, RecordsEvicted uint64
	// RecordPeersDropped counts copies whose sender could not be
	// remembered because the record already held its limit of peers; the
	// copy earned no delivery credit.
	RecordPeersDropped uint64
}

// Stats returns the current counters. Peers are counted in O(peers).
func (s *Scorer) Stats() Stats {
	st := s.stats
	for _, ps := range s.peers {
		if ps.connected {
			st.Peers++
		} else {
			st.RetainedPeers++
		}
	}
	st.DeliveryRecords = s.records.len()
	return st
}
