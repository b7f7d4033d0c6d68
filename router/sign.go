package router

import (
	"encoding/binary"
	"errors"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// signPrefix prefixes the bytes a message signature covers
// (pubsub/README.md "Message Signing").
const signPrefix = "libp2p-pubsub:"

// seqnoLen is the length of a seqno: a 64-bit big-endian counter.
const seqnoLen = 8

// Reasons a received message fails the signature policy, returned by
// checkPolicy; policyCause names the drop each is counted as.
var (
	errUnsigned    = errors.New("router: unsigned message under StrictSign")
	errBadFrom     = errors.New("router: message author is not a peer ID")
	errBadSeqno    = errors.New("router: message seqno is not 8 bytes")
	errKeyMismatch = errors.New("router: message key does not match its author")
	errBadSig      = errors.New("router: bad message signature")
	errSignedNoSig = errors.New("router: message carries from, seqno or signature under StrictNoSign")
)

// policyCause is the drop cause of a checkPolicy error: a message signed
// under the other policy (or not at all) is a policy mismatch, not a
// forgery.
func policyCause(err error) DropCause {
	switch err {
	case errUnsigned:
		return DropMissingSignature
	case errSignedNoSig:
		return DropUnexpectedSignature
	}
	return DropBadSignature
}

// appendSigned appends the bytes a signature of m covers: the prefix and m
// encoded without its signature and key.
func appendSigned(dst []byte, m *rpc.Message) []byte {
	u := *m
	u.Signature, u.Key = nil, nil
	dst = append(dst, signPrefix...)
	return u.Append(dst)
}

// sign fills m's From, Seqno and Signature for the router's next message.
func (r *Router) sign(m *rpc.Message) {
	r.seqno++
	m.From = r.idb
	m.Seqno = binary.BigEndian.AppendUint64(make([]byte, 0, seqnoLen), r.seqno)
	r.sigbuf = appendSigned(r.sigbuf[:0], m)
	m.Signature = r.cfg.Identity.Sign(r.sigbuf)
}

// checkPolicy applies the signature policy to a received message. The
// signature of a message that HandlePayloads verified in its batch is not
// checked again: its verdict is taken.
func (r *Router) checkPolicy(m *rpc.Message) error {
	if err := r.checkFields(m); err != nil || r.cfg.SignaturePolicy == StrictNoSign {
		return err
	}
	if len(r.batch.verdict) > 0 {
		if ok, found := r.batch.verdict[m]; found {
			if !ok {
				return errBadSig
			}
			return nil
		}
	}
	r.stats.SingleSigs++
	r.sigbuf = appendSigned(r.sigbuf[:0], m)
	// peer.ID.Verify, not crypto/ed25519: gwyh's signature rule, which
	// refuses small-order and non-canonical keys (anyone can sign for
	// those) and is the one batches check (peer/verify.go).
	if !peer.ID(m.From).Verify(r.sigbuf, m.Signature) {
		return errBadSig
	}
	return nil
}

// checkFields is checkPolicy but for the signature itself: the fields the
// policy requires or forbids.
func (r *Router) checkFields(m *rpc.Message) error {
	if r.cfg.SignaturePolicy == StrictNoSign {
		if len(m.From) != 0 || len(m.Seqno) != 0 || len(m.Signature) != 0 || len(m.Key) != 0 {
			return errSignedNoSig
		}
		return nil
	}
	if len(m.Signature) == 0 {
		return errUnsigned
	}
	if len(m.From) != peer.IDSize {
		return errBadFrom
	}
	if len(m.Seqno) != seqnoLen {
		return errBadSeqno
	}
	if len(m.Key) != 0 && string(m.Key) != string(m.From) {
		return errKeyMismatch
	}
	if len(m.Signature) != peer.SignatureSize {
		return errBadSig
	}
	return nil
}

// author returns the message's author, or the zero ID when it names none.
func author(m *rpc.Message) peer.ID {
	var id peer.ID
	if len(m.From) == peer.IDSize {
		copy(id[:], m.From)
	}
	return id
}

// appendID appends m's id to dst: from m's topic's function
// (SetTopicMessageID), else Config.AppendMessageID or MessageID when set,
// else the policy's default.
func (r *Router) appendID(dst []byte, m *rpc.Message) []byte {
	if r.contentIDs(m.Topic) {
		if id, ok := r.memoID(m); ok {
			r.stats.IDsFromMemo++
			return append(dst, id...)
		}
		return r.contentID(dst, m)
	}
	if len(r.topicIDs) > 0 {
		if fn := r.topicIDs[m.Topic]; fn != nil {
			return append(dst, fn(m)...)
		}
	}
	switch {
	case r.cfg.AppendMessageID != nil:
		return r.cfg.AppendMessageID(dst, m)
	case r.cfg.MessageID != nil:
		return append(dst, r.cfg.MessageID(m)...)
	}
	return append(append(dst, m.From...), m.Seqno...)
}

// contentIDs reports whether the ids of topic's messages are their content
// ids (contentID): StrictNoSign with no id function for the topic or the
// router.
func (r *Router) contentIDs(topic string) bool {
	return r.cfg.SignaturePolicy == StrictNoSign && r.cfg.AppendMessageID == nil && r.cfg.MessageID == nil &&
		(len(r.topicIDs) == 0 || r.topicIDs[topic] == nil)
}

// contentID is the StrictNoSign default id: SHA-256 over the topic's
// length, the topic and the data.
func (r *Router) contentID(dst []byte, m *rpc.Message) []byte {
	// The length and the topic go through a scratch buffer: a string
	// converted for hash.Hash's Write escapes, an allocation per id.
	r.idHead = binary.AppendUvarint(r.idHead[:0], uint64(len(m.Topic)))
	r.idHead = append(r.idHead, m.Topic...)
	r.hasher.Reset()
	r.hasher.Write(r.idHead)
	r.hasher.Write(m.Data)
	return r.hasher.Sum(dst)
}
