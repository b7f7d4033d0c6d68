// Package pb holds the Go types generated from rpc.proto, the GossipSub RPC
// schema with libp2p's message names, field names and field numbers.
//
// The generated code is committed. To regenerate it, run
//
//	go generate ./pb
//
// which needs protoc from Debian's protobuf-compiler package (version pinned
// in gen.sh) and builds protoc-gen-go at the version go.mod requires of
// google.golang.org/protobuf. The hot paths do not use these types: rpc/
// encodes and decodes the same wire format without reflection, and its tests
// check both against each other.
package pb

//go:generate bash gen.sh
