package node

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
)

// The signature policy check. Two nodes with different signature policies
// would link, form meshes and deliver nothing: every message one side
// sends, the other drops (router's missing-signature and
// unexpected-signature). So both ends of a link announce their policy in
// the hello (rpc.Hello, sent when the link opens and answered by the
// other side), and a hello announcing another policy than ours refuses
// the peer at once:
//
//   - the peer is unlinked (or never linked), so no mesh forms, and every
//     GossipSub payload of that session is dropped, counted as
//     signature-policy-mismatch (the refusing hello among them);
//   - one Warn line per peer names both policies (later refusals of the
//     same peer, after its redials, are Debug);
//   - our hello goes back once, so that the peer learns our policy and
//     refuses us too, even when the hello we sent on linking was lost;
//   - the session ends at the first peer-manager round policyGrace later
//     (ending it at once would drop that hello from the send queue).
//
// A payload without a hello, or a hello without a policy (a node that
// predates the field), says nothing: such a peer stays linked.

// policyGrace is how long a refused session stays up for our hello to
// reach the peer.
const policyGrace = 500 * time.Millisecond

// maxPolicyWarned bounds the peers remembered as warned about; past it the
// memory starts over (a peer may then be warned about again).
const maxPolicyWarned = 1024

// policyState is the loop's state of the policy check.
type policyState struct {
	hello  []byte             // our hello, built on first use
	warned map[peer.ID]uint64 // the policy each refused peer was warned about
}

// hello returns the node's hello payload: an empty control message and
// its signature policy.
func (n *Node) hello() []byte {
	if n.policy.hello == nil {
		n.policy.hello = rpc.AppendHello(nil, rpc.Hello{
			SignaturePolicy: uint64(n.cfg.SignaturePolicy), HasSignaturePolicy: true,
		})
	}
	return n.policy.hello
}

// policyRefused reports whether a GossipSub payload from from is to be
// dropped for a signature policy mismatch: its session was refused
// already, or the payload holds a hello h (hello: it has a well-formed
// one, rpc.ReadHello) announcing another policy (then the peer is refused
// now). Malformed payloads are left to the router.
func (n *Node) policyRefused(now time.Time, from peer.ID, h rpc.Hello, hello bool) bool {
	s := n.sessions[from]
	if s != nil && !s.refusedAt.IsZero() {
		n.counts.drop(dropPolicyMismatch)
		return true
	}
	if !hello || !h.HasSignaturePolicy || h.SignaturePolicy == uint64(n.cfg.SignaturePolicy) {
		return false
	}
	n.counts.drop(dropPolicyMismatch)
	n.warnPolicy(from, h.SignaturePolicy)
	if s == nil || s.ending {
		return true
	}
	s.refusedAt = now
	n.unlink(now, from, dropPolicyMismatch.String())
	n.send(from, n.hello(), transport.PriorityControl)
	return true
}

// warnPolicy logs a refusal: at Warn the first time for this peer and
// policy, at Debug after.
func (n *Node) warnPolicy(id peer.ID, theirs uint64) {
	msg := fmt.Sprintf("peer %s signs with %s, this node requires %s: not linked (every message between them would be dropped; give all nodes the same SignaturePolicy)",
		id, policyName(theirs), policyName(uint64(n.cfg.SignaturePolicy)))
	if p, ok := n.policy.warned[id]; ok && p == theirs {
		n.log.Debug(msg)
		return
	}
	if n.policy.warned == nil || len(n.policy.warned) >= maxPolicyWarned {
		n.policy.warned = map[peer.ID]uint64{}
	}
	n.policy.warned[id] = theirs
	n.log.Warn(msg)
}

// refuseLink is link for a session refused for its policy, still up for
// policyGrace: not linked. A dial the peer manager asked for failed, so
// that it backs off instead of waiting for its DialTimeout.
func (n *Node) refuseLink(now time.Time, id peer.ID, outbound bool) bool {
	if addr, ok := n.dialled[id]; ok && outbound {
		n.pm.DialFailed(now, peering.Target{ID: id, Addr: addr})
	}
	delete(n.wantLink, id)
	delete(n.dialled, id)
	return false
}

// endRefused ends the sessions refused for their policy policyGrace ago.
func (n *Node) endRefused(now time.Time) {
	for id, s := range n.sessions {
		if !s.refusedAt.IsZero() && now.Sub(s.refusedAt) >= policyGrace {
			n.endSession(id)
		}
	}
}

// policyName names a policy as Config.SignaturePolicy's constants do.
func policyName(p uint64) string {
	switch p {
	case uint64(router.StrictSign):
		return "StrictSign"
	case uint64(router.StrictNoSign):
		return "StrictNoSign"
	}
	return fmt.Sprintf("an unknown policy (%d)", p)
}
