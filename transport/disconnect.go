package transport

import (
	"encoding/binary"
	"fmt"

	"github.com/gwyh/gwyh/peer"
)

// Disconnect ends the session with the peer id: its keypairs, its queued
// payloads (counted as DropPeerDown) and its partial messages are dropped,
// the peer is sent one authenticated bye packet (best effort: if it is lost,
// the peer notices after its PeerDownTimeout), and EventPeerDown is emitted
// locally if the peer was up. Stats.Disconnects counts calls that ended a
// session.
//
// Nothing is remembered against the peer: a later Dial, or a handshake the
// peer starts (a redial or a rekey of its stale session), brings it back
// with a new EventPeerUp. Callers that want to keep a peer out must
// Disconnect it again on its EventPeerUp.
//
// Like every peer up/down event, the EventPeerDown waits for room on the
// Events channel (or for Close), so the goroutine draining Events must not
// call Disconnect while the channel may be full.
//
// Errors: ErrClosed; ErrUnknownPeer when there is no session with id (no
// state changed). Safe for concurrent use.
func (c *Conn) Disconnect(id peer.ID) error {
	c.callers.RLock() // emit below must not race with Close
	defer c.callers.RUnlock()
	if c.closed() {
		return ErrClosed
	}
	c.mu.Lock()
	p := c.peers[id]
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, id.Short())
	}
	c.sendBye(p)
	c.removePeerCounted(p, &c.stats.disconnects, false)
	return nil
}

// sendBye seals a packet holding one bye frame on p's current session and
// hands it to the writer. It seals here rather than in the writer because
// the session is gone by the time the writer would run; it uses its own
// nonce scratch, since the AEAD itself is safe for concurrent use.
func (c *Conn) sendBye(p *peerState) {
	p.mu.Lock()
	kp := p.sendKeypair(c.clock.Now(), c.opts.RejectAfterTime)
	var ctr uint64
	if kp != nil {
		ctr = kp.sendCount.Add(1) - 1
	}
	p.mu.Unlock()
	if kp == nil {
		return
	}
	var nonce [12]byte
	binary.LittleEndian.PutUint64(nonce[4:], ctr)
	b := appendDataHeader(make([]byte, 0, dataOverhead+byeFrameSize), kp.remote, ctr)
	b = kp.send.aead.Seal(b, nonce[:], []byte{frameBye}, b[:dataHeaderSize])
	c.sendRaw(b, p.address())
}

// handleBye ends p's session because it said bye on an authentic packet
// sealed on kp, if kp is p's current or next session; it reports whether it
// did. A bye on an older session (kept for late packets) is dropped and
// counted as DropExpiredKeypair: it can only be a delayed or replayed one,
// from before a session that is still in use, which it must not end.
func (c *Conn) handleBye(p *peerState, kp *keypair) bool {
	p.mu.Lock()
	live := kp == p.current || kp == p.next
	p.mu.Unlock()
	if !live {
		c.stats.drop(DropExpiredKeypair)
		return false
	}
	c.removePeerCounted(p, &c.stats.byes, false)
	return true
}
