// Package score computes the GossipSub v1.1 peer score (P1 to P7, topic
// weights and caps, decay, retention) and holds the score thresholds the
// router acts on.
//
// It is pure and deterministic: time comes in as an argument, decay is a
// function of elapsed time, and it starts no goroutine and does no I/O.
package score
