package router

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// HandlePayload handles one received payload from peer from: an RPC from a
// peer scoring below GraylistThreshold is dropped before it is decoded
// (ErrGraylisted); otherwise the payload is decoded with rpc.Decode under
// Config.Limits (ErrMalformed wrapping the rpc error on failure, nothing
// handled) and handled as HandleRPC does. Decoded messages alias payload
// until the Output of this call is drained, and the Msg of each
// ValidationRequest it makes aliases payload until that validation is done
// (ValidationDone) or timed out; nothing else keeps it (the message cache
// keeps its own copy). The caller must not modify payload before then and
// may reuse it after. Unknown peers get ErrUnknownPeer, blacklisted ones
// ErrBlacklisted. Every error is also a counted drop; the router's state is
// otherwise unchanged.
func (r *Router) HandlePayload(now time.Time, from peer.ID, payload []byte) error {
	r.begin(now)
	ps := r.peers[from]
	if ps == nil {
		return r.dropUnknown(from)
	}
	if ps = r.admitKnown(ps); ps == nil {
		return ErrGraylisted
	}
	return r.decodeAndHandle(now, ps, payload)
}

// decodeAndHandle is HandlePayload for an admitted peer.
func (r *Router) decodeAndHandle(now time.Time, ps *peerState, payload []byte) error {
	if err := rpc.Decode(payload, r.cfg.Limits, &r.decoded); err != nil {
		r.stats.Drops[DropMalformed]++
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r.handleRPC(now, ps, &r.decoded)
	r.decoded.Forget() // kept for the next payload: pins nothing of this one
	return nil
}
