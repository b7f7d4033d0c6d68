// Package rpc turns GossipSub RPCs into packet payloads and back: it packs
// the pending parts for one peer into as few payloads as an MTU allows, and
// decodes payloads under hard Limits, returning typed errors for anything
// malformed or too large.
//
// The wire format is protobuf with the field numbers of pb/rpc.proto
// (libp2p GossipSub's schema); this package encodes and decodes it by hand,
// without reflection, so that the hot paths allocate little. It is pure: no
// I/O, no clock, no goroutines.
package rpc
