package router

import (
	"bytes"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// Payload is one received payload for HandlePayloads: Data from peer From.
type Payload struct {
	From peer.ID
	Data []byte
}

// SigVerifier checks message signatures in batches for HandlePayloads
// (Config.Verifier). The router calls it on its caller's goroutine, never
// concurrently.
type SigVerifier interface {
	// VerifySigs sets ok[i] to items[i].ID.Verify(items[i].Msg,
	// items[i].Sig) for every i (len(ok) == len(items)): exactly peer's
	// signature rule, which peer.BatchVerifier implements. It may spread
	// the work over other goroutines but returns only when all is done,
	// and keeps neither slice.
	VerifySigs(items []peer.Signed, ok []bool)
}

// SerialVerifier is the default SigVerifier: one peer.BatchVerifier in the
// calling goroutine. The zero value is ready; it must not be used
// concurrently.
type SerialVerifier struct{ bv peer.BatchVerifier }

var _ SigVerifier = (*SerialVerifier)(nil)

// VerifySigs implements SigVerifier.
func (s *SerialVerifier) VerifySigs(items []peer.Signed, ok []bool) { s.bv.Verify(items, ok) }

// payloadState is what HandlePayloads' first pass did with one payload.
type payloadState uint8

const (
	payloadLater     payloadState = iota // not decoded: unknown or graylisted sender
	payloadDecoded                       // decoded into batch.rpcs
	payloadMalformed                     // did not decode
)

// payloadBatch is HandlePayloads' scratch, kept between calls.
type payloadBatch struct {
	rpcs   []rpc.RPC
	state  []payloadState
	serial SerialVerifier
	// The signatures to verify: items[k] covers arena[spans[k][0]:spans[k][1]];
	// refs maps each message to its item (copies with identical bytes
	// share one); bySig finds an item by its signature.
	items []peer.Signed
	spans [][2]int
	ok    []bool
	arena []byte
	refs  []sigRef
	bySig map[[peer.SignatureSize]byte]int
	// verdict holds the answers for the messages of the batch being
	// handled, which checkPolicy takes instead of verifying again.
	verdict map[*rpc.Message]bool
}

// sigRef is one message whose signature is items[item].
type sigRef struct {
	m    *rpc.Message
	item int
}

// HandlePayloads handles the payloads of one round of the caller's event
// loop, in their order, with exactly the effects (outputs, stats, drops,
// scores) of calling HandlePayload for each in turn; errors are counted
// drops as there. The difference is the cost: it decodes them all first,
// collects the signatures of the new messages (under StrictSign) and
// checks them with one call of Config.Verifier, which a batch makes about
// twice as cheap per signature. Copies within the batch with identical
// bytes are verified once; a forged copy fails alone and shadows no other.
// One payload is a batch too: the messages it packs are verified together.
// The router takes ownership of every payload, as HandlePayload does.
func (r *Router) HandlePayloads(now time.Time, batch []Payload) {
	if r.cfg.SignaturePolicy == StrictNoSign {
		for i := range batch {
			_ = r.HandlePayload(now, batch[i].From, batch[i].Data)
		}
		return
	}
	b := &r.batch
	b.grow(len(batch))
	for i := range batch {
		b.state[i] = r.predecode(&batch[i], &b.rpcs[i])
	}
	r.verifyCollected()
	for i := range batch {
		r.begin(now)
		ps := r.peers[batch[i].From]
		if ps == nil {
			_ = r.dropUnknown(batch[i].From)
			continue
		}
		if ps = r.admitKnown(ps); ps == nil {
			continue
		}
		switch b.state[i] {
		case payloadDecoded:
			r.handleRPC(now, ps, &b.rpcs[i])
		case payloadMalformed:
			r.stats.Drops[DropMalformed]++
		default: // graylisted a moment ago, not now
			_ = r.decodeAndHandle(now, ps, batch[i].Data)
		}
	}
	for i := range batch {
		b.rpcs[i].Forget() // kept for the next batch: pins nothing of this one
	}
	b.reset()
}

// grow makes room for n payloads.
func (b *payloadBatch) grow(n int) {
	if len(b.rpcs) < n {
		b.rpcs = append(b.rpcs, make([]rpc.RPC, n-len(b.rpcs))...)
	}
	b.state = append(b.state[:0], make([]payloadState, n)...)
	if b.bySig == nil {
		b.bySig = map[[peer.SignatureSize]byte]int{}
		b.verdict = map[*rpc.Message]bool{}
	}
}

// reset forgets the batch's messages, keeping the buffers.
func (b *payloadBatch) reset() {
	clear(b.items)
	clear(b.refs)
	b.items, b.spans, b.refs, b.arena = b.items[:0], b.spans[:0], b.refs[:0], b.arena[:0]
	clear(b.bySig)
	clear(b.verdict)
}

// predecode decodes p into dst unless HandlePayload would drop it before
// decoding (an unknown or graylisted sender), and collects the signatures
// its messages need checked. It changes no state but the batch's: stats,
// drops and score memos are left to the pass that handles the payload.
func (r *Router) predecode(p *Payload, dst *rpc.RPC) payloadState {
	ps := r.peers[p.From]
	if ps == nil || (r.scorer != nil && !ps.opts.Direct && r.scorer.Score(ps.id) < r.th.GraylistThreshold) {
		return payloadLater
	}
	if rpc.Decode(p.Data, r.cfg.Limits, dst) != nil {
		return payloadMalformed
	}
	for i := range dst.Publish {
		r.collectSig(&dst.Publish[i])
	}
	return payloadDecoded
}

// collectSig adds m's signature to the batch when handleMessage is going
// to check it: a message of a joined topic, not seen, whose author is not
// blacklisted and whose fields pass the policy. Should handleMessage check
// one that was not collected (it was seen when collected and forgotten
// since, say), checkPolicy verifies it alone.
func (r *Router) collectSig(m *rpc.Message) {
	if t := r.topics[m.Topic]; t == nil || !t.joined {
		return
	}
	r.idbuf = r.appendID(r.idbuf[:0], m)
	if r.seen.HasBytes(r.idbuf) || r.blacklistedAuthor(m.From) || r.checkFields(m) != nil {
		return
	}
	b := &r.batch
	start := len(b.arena)
	b.arena = appendSigned(b.arena, m)
	sig := [peer.SignatureSize]byte(m.Signature)
	if k, ok := b.bySig[sig]; ok && b.items[k].ID == peer.ID(m.From) &&
		bytes.Equal(b.arena[b.spans[k][0]:b.spans[k][1]], b.arena[start:]) {
		b.arena = b.arena[:start] // a copy of a message already collected
		b.refs = append(b.refs, sigRef{m: m, item: k})
		return
	}
	k := len(b.items)
	if _, ok := b.bySig[sig]; !ok {
		b.bySig[sig] = k
	}
	b.items = append(b.items, peer.Signed{ID: peer.ID(m.From), Sig: m.Signature})
	b.spans = append(b.spans, [2]int{start, len(b.arena)})
	b.refs = append(b.refs, sigRef{m: m, item: k})
}

// verifyCollected checks the collected signatures with one call of the
// verifier and records each message's verdict for checkPolicy.
func (r *Router) verifyCollected() {
	b := &r.batch
	if len(b.items) == 0 {
		return
	}
	for k := range b.items {
		b.items[k].Msg = b.arena[b.spans[k][0]:b.spans[k][1]]
	}
	b.ok = append(b.ok[:0], make([]bool, len(b.items))...)
	v := r.cfg.Verifier
	if v == nil {
		v = &b.serial
	}
	v.VerifySigs(b.items, b.ok)
	r.stats.VerifyBatches++
	r.stats.BatchedSigs += uint64(len(b.items))
	for _, ref := range b.refs {
		b.verdict[ref.m] = b.ok[ref.item]
	}
}
