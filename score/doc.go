// Package score computes the GossipSub v1.1 peer score (P1 to P7, topic
// weights and caps, decay, retention) and holds the score thresholds the
// router acts on.
//
// It is pure and deterministic: time comes in as an argument, decay is a
// function of elapsed time, and it starts no goroutine and does no I/O.
//
// A Scorer is driven by the router through the calls of router.Scorer
// (AddPeer, Graft, ValidateMessage, DeliverMessage, Refresh, Score, ...).
// Its choices, where the spec leaves room:
//
//   - Decay: counters are multiplied by their factor once per whole
//     DecayInterval since the first call that carried a time; every call
//     that carries now first applies the steps due, so the counters do
//     not depend on how often Refresh runs (bit for bit across gaps of up
//     to 64 intervals; longer gaps use a closed form, equal to within
//     rounding, so catching up costs O(1)). A value under DecayToZero
//     becomes exactly 0.
//   - P1 time in mesh and P3 activation advance at Refresh.
//   - Near-first deliveries (P3): a copy from a mesh peer counts if it
//     arrived while the message was validating, or within
//     MeshMessageDeliveriesWindow of the first receipt.
//   - Retention: a disconnected peer's counters are kept, frozen (no
//     decay), for RetainScore, with P2 cleared and its P3 deficit moved to
//     P3b as at a prune; its IP keeps counting for P6 meanwhile. A
//     reconnect within RetainScore gets the counters back.
//   - Delivery records are bounded by DeliveryRecordTTL and
//     MaxDeliveryRecords, and at most 64 later senders per message.
//   - Sums over topics run in topic name order, so scores are
//     bit-reproducible. Snapshot is sorted by peer ID.
//
// Parameters: Params and TopicParams, checked by Validate (every problem at
// once); ScoreParameterDecay derives decay factors from durations;
// DefaultParams and DefaultThresholds are a documented starting point.
package score
