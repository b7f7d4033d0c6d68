package membership

// Gossip: updates only, sent every GossipInterval to GossipNodes members
// while the broadcast queue holds something.

func decodeGossip(r *reader, m *message, l limits) { decodeUpdates(r, m, l) }
