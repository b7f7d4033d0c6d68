// Package peer names the nodes of a gwyh cluster: a peer.ID is the ed25519
// public key of a node's identity, and an Identity is the key pair that signs
// for it.
//
// It is a leaf package imported by every layer; it does no I/O beyond reading
// and writing an identity file, and it imports nothing else from gwyh.
package peer
