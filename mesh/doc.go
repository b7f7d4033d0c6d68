// Package mesh is the GossipSub router's bookkeeping (gossipsub-v1.0.md
// "Router State", gossipsub-v1.1.md, gossipsub-v1.2.md): sorted peer sets,
// the seen-message cache, the message cache (mcache), backoffs, IWANT
// promises and IDONTWANT memory. Everything is pure and deterministic: time
// comes in as arguments, randomness from the caller, and nothing iterates a
// map where the order could shape output. Not safe for concurrent use.
package mesh
