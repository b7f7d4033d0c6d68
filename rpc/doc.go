// Package rpc turns GossipSub RPCs into packet payloads and back: it packs
// the pending parts for one peer into as few payloads as an MTU allows, and
// decodes payloads under hard Limits, returning typed errors for anything
// malformed or too large.
//
// The wire format is protobuf with the field numbers of pb/rpc.proto
// (libp2p GossipSub's schema); this package encodes and decodes it by hand,
// without reflection, so that the hot paths allocate little. It is pure: no
// I/O, no clock, no goroutines.
//
// # Layout
//
// One file per wire message, as quic-go's internal/wire has one per frame:
// subopts.go, message.go, ihave.go, iwant.go, graft.go, prune.go (with
// PeerInfo), idontwant.go, control.go (ControlMessage, flattened into RPC)
// and rpc.go. Each holds the message's Go type, its field numbers (named
// constants used by both encoder and decoder), Size, Append, own (which
// copies its strings out of the payload) and its decoder, with the limit
// checks that apply to it. Generic wire code is in wire.go (sizes, append
// helpers) and wire_read.go (varints, fieldReader, the one decode loop);
// decode.go holds Decode and the shared field decoders, pack.go and
// pack_encode.go the MTU splitting, membership.go gwyh's membership field,
// hello.go its hello.
//
// # Adding a message
//
// A new control message is a new file — its type, its ctlField number and
// field numbers, Size, Append, own, and a decoder that starts with newEntry
// and loops over a fieldReader — plus one line in each of control.go's
// functions (HasControl, ControlSize, appendControl, resetControl,
// ownControl, and a case of control's switch; they are direct calls, not a
// table of function values, so that neither the decoder nor a caller's RPC
// escapes to the heap). Outside this scheme it also needs its list in the
// RPC struct (rpc.go), its bounds in Limits (limits.go) and, to be sent in
// batches, a phase in Pack (pack.go, pack_encode.go).
package rpc
