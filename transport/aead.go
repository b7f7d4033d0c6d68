package transport

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/gwyh/gwyh/transport/internal/replay"
)

// Data-plane AEAD choice. BenchmarkSeal/BenchmarkOpen on the project's 2-vCPU
// AMD EPYC VM (AVX2, AES-NI), Go 1.26.8, 1400-byte packets, 3 runs each
// (`go test -run=^$ -bench='Seal|Open' -count=3 ./transport`):
//
//	ChaCha20-Poly1305  Seal 1.51-1.71 GB/s  Open 1.73-1.95 GB/s
//	AES-256-GCM        Seal 2.25-2.35 GB/s  Open 2.39-2.69 GB/s
//
// AES-256-GCM is ~40% faster where the CPU has AES instructions, but falls to
// a few hundred MB/s (and loses constant-time guarantees) without them, while
// ChaCha20-Poly1305 is fast everywhere. So the cipher is negotiated by
// hardware: each side states in its handshake payload whether it has AES
// hardware (golang.org/x/sys/cpu), and a session uses AES-256-GCM only when
// both do, ChaCha20-Poly1305 otherwise. Both are keyed with the 32-byte keys
// from the Noise split, with a 96-bit nonce of 4 zero bytes and the
// little-endian 64-bit packet counter.

const (
	cipherChaCha = 0
	cipherAESGCM = 1
)

// aeadLimits are the usage limits of one data key, from RFC 9001 §6.6 (QUIC's
// AEAD limits, for packets of up to 2^16 bytes, which ours are):
//
//   - AEAD_AES_128_GCM and AEAD_AES_256_GCM: confidentiality limit 2^23
//     packets sealed under one key; integrity limit 2^52 forged packets.
//   - AEAD_CHACHA20_POLY1305: no confidentiality limit below the 2^62
//     possible packets; integrity limit 2^36 forged packets.
//
// A session's initiator rekeys at rekeyAfter packets either way (or at
// Options.RekeyAfterMessages if lower); nothing is sealed under the key past
// rejectAfter; and a keypair on which integrity packets failed to
// authenticate is retired, so a forger gets no more tries on it.
type aeadLimits struct {
	rekeyAfter, rejectAfter, integrity uint64
}

// limitsFor returns the limits of the cipher with the given id.
func limitsFor(id byte) aeadLimits {
	if id == cipherAESGCM {
		// Rekey at half the confidentiality limit: at any plausible packet
		// rate the rekey completes long before the other half is spent.
		return aeadLimits{rekeyAfter: 1 << 22, rejectAfter: 1 << 23, integrity: 1 << 52}
	}
	return aeadLimits{rekeyAfter: 1 << 60, rejectAfter: replay.RejectAfterMessages, integrity: 1 << 36}
}

// newCipher returns the data AEAD with the given id under key k.
func newCipher(id byte, k [32]byte) cipher.AEAD {
	if id == cipherAESGCM {
		return newAESGCM(k)
	}
	return newDataAEAD(k)
}

// newDataAEAD returns ChaCha20-Poly1305 under key k.
func newDataAEAD(k [32]byte) cipher.AEAD {
	a, err := chacha20poly1305.New(k[:])
	if err != nil {
		panic(err) // only on a wrong key length, impossible here
	}
	return a
}

// newAESGCM returns AES-256-GCM under key k.
func newAESGCM(k [32]byte) cipher.AEAD {
	b, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// aeadDir is one direction of a session: the AEAD and a nonce scratch that
// keeps sealing and opening allocation-free. It is used by one goroutine at a
// time (the writer seals, the reader opens).
type aeadDir struct {
	aead  cipher.AEAD
	nonce [12]byte
}

// sealData appends a complete data packet (header, ciphertext of plain, tag)
// to dst and returns it. The header is the associated data. dst must not
// overlap plain.
func (d *aeadDir) sealData(dst []byte, receiver uint32, counter uint64, plain []byte) []byte {
	start := len(dst)
	dst = appendDataHeader(dst, receiver, counter)
	binary.LittleEndian.PutUint64(d.nonce[4:], counter)
	return d.aead.Seal(dst, d.nonce[:], plain, dst[start:start+dataHeaderSize])
}

// sealInPlace turns pkt, which holds dataHeaderSize bytes of room followed
// by the plaintext, into a complete data packet: it writes the header and
// seals the plaintext where it lies (cap(pkt) must allow the tag).
func (d *aeadDir) sealInPlace(pkt []byte, receiver uint32, counter uint64) []byte {
	appendDataHeader(pkt[:0], receiver, counter)
	binary.LittleEndian.PutUint64(d.nonce[4:], counter)
	plain := pkt[dataHeaderSize:]
	out := d.aead.Seal(plain[:0], d.nonce[:], plain, pkt[:dataHeaderSize])
	return pkt[:dataHeaderSize+len(out)]
}

// openData authenticates and decrypts the data packet pkt (whose header was
// already parsed, giving counter) in place and returns the plaintext, which
// aliases pkt.
func (d *aeadDir) openData(pkt []byte, counter uint64) ([]byte, error) {
	binary.LittleEndian.PutUint64(d.nonce[4:], counter)
	ct := pkt[dataHeaderSize:]
	out, err := d.aead.Open(ct[:0], d.nonce[:], ct, pkt[:dataHeaderSize])
	if err != nil {
		return nil, errAuth
	}
	return out, nil
}
