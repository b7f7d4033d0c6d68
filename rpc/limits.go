package rpc

// Limits bounds what Decode accepts from one payload. Lengths are in bytes;
// counts are per payload. A zero field takes its DefaultLimits value, so the
// zero Limits is DefaultLimits; there is no "unlimited". A Limits is a plain
// value, safe to share.
type Limits struct {
	MaxPayload int // payload length (default 1 MiB + 64 KiB)

	MaxSubscriptions int // SubOpts entries (default 1024)
	MaxMessages      int // published messages (default 1024)
	MaxDataSize      int // Message.Data length (default 1 MiB)
	MaxFromLen       int // Message.From length (default 64)
	MaxSeqnoLen      int // Message.Seqno length (default 32)
	MaxSignatureLen  int // Message.Signature length (default 128)
	MaxKeyLen        int // Message.Key length (default 512)
	MaxTopicLen      int // any topic name (default 256)
	MaxIDLen         int // any message id (default 256)

	MaxIHave     int // IHAVE entries (default 1024)
	MaxIWant     int // IWANT entries (default 1024)
	MaxGraft     int // GRAFT entries (default 1024)
	MaxPrune     int // PRUNE entries (default 256; times MaxPrunePeers bounds PeerInfos)
	MaxIDontWant int // IDONTWANT entries (default 1024)
	MaxChoke     int // CHOKE entries, and UNCHOKE entries (default 1024)

	MaxIHaveIDs     int // message ids over all IHAVE entries (default 5000)
	MaxIWantIDs     int // message ids over all IWANT entries (default 5000)
	MaxIDontWantIDs int // message ids over all IDONTWANT entries (default 5000)

	MaxPrunePeers int // PeerInfo entries in one PRUNE (default 64)
	MaxPeerIDLen  int // PeerInfo.ID length (default 64)
	MaxRecordLen  int // PeerInfo.Record length (default 1024)
}

// DefaultLimits returns the limits Decode applies to zero fields: room for
// one 1 MiB message with its envelope, and GossipSub's customary bounds on
// gossip (5000 ids per kind, as go-libp2p-pubsub's MaxIHaveLength).
func DefaultLimits() Limits {
	return Limits{
		MaxPayload:       1<<20 + 64<<10,
		MaxSubscriptions: 1024,
		MaxMessages:      1024,
		MaxDataSize:      1 << 20,
		MaxFromLen:       64,
		MaxSeqnoLen:      32,
		MaxSignatureLen:  128,
		MaxKeyLen:        512,
		MaxTopicLen:      256,
		MaxIDLen:         256,
		MaxIHave:         1024,
		MaxIWant:         1024,
		MaxGraft:         1024,
		MaxPrune:         256,
		MaxIDontWant:     1024,
		MaxChoke:         1024,
		MaxIHaveIDs:      5000,
		MaxIWantIDs:      5000,
		MaxIDontWantIDs:  5000,
		MaxPrunePeers:    64,
		MaxPeerIDLen:     64,
		MaxRecordLen:     1024,
	}
}

// withDefaults returns l with every non-positive field replaced by its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxPayload, d.MaxPayload)
	fill(&l.MaxSubscriptions, d.MaxSubscriptions)
	fill(&l.MaxMessages, d.MaxMessages)
	fill(&l.MaxDataSize, d.MaxDataSize)
	fill(&l.MaxFromLen, d.MaxFromLen)
	fill(&l.MaxSeqnoLen, d.MaxSeqnoLen)
	fill(&l.MaxSignatureLen, d.MaxSignatureLen)
	fill(&l.MaxKeyLen, d.MaxKeyLen)
	fill(&l.MaxTopicLen, d.MaxTopicLen)
	fill(&l.MaxIDLen, d.MaxIDLen)
	fill(&l.MaxIHave, d.MaxIHave)
	fill(&l.MaxIWant, d.MaxIWant)
	fill(&l.MaxGraft, d.MaxGraft)
	fill(&l.MaxPrune, d.MaxPrune)
	fill(&l.MaxIDontWant, d.MaxIDontWant)
	fill(&l.MaxChoke, d.MaxChoke)
	fill(&l.MaxIHaveIDs, d.MaxIHaveIDs)
	fill(&l.MaxIWantIDs, d.MaxIWantIDs)
	fill(&l.MaxIDontWantIDs, d.MaxIDontWantIDs)
	fill(&l.MaxPrunePeers, d.MaxPrunePeers)
	fill(&l.MaxPeerIDLen, d.MaxPeerIDLen)
	fill(&l.MaxRecordLen, d.MaxRecordLen)
	return l
}
