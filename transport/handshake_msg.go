package transport

import (
	"encoding/binary"

	"github.com/flynn/noise"
)

// writeHandshake runs one Noise WriteMessage (any message we send: XX msg1,
// msg2 or msg3, IK msg1 or msg2) and frames it as a handshake packet of type
// typ with the sender index and MACs left zero (see finishHandshake). It
// returns the packet and, if the handshake completed (XX msg3, IK msg2), the
// two cipher states.
func writeHandshake(typ, pattern byte, receiver uint32, hs *noise.HandshakeState, payload []byte) ([]byte, *noise.CipherState, *noise.CipherState, error) {
	b := appendHandshakeHeader(make([]byte, 0, maxHandshakeSize), typ, pattern, 0, receiver)
	b, cs1, cs2, err := hs.WriteMessage(b, payload)
	if err != nil {
		return nil, nil, nil, err
	}
	if typ == typeHandshakeInit {
		// Zero padding, covered by mac1: see minInitSize.
		b = append(b, make([]byte, max(0, minInitSize(pattern)-handshakeMacsSize-len(b)))...)
	}
	b = append(b, make([]byte, handshakeMacsSize)...)
	return b, cs1, cs2, nil
}

// finishHandshake sets the sender index of the handshake packet b (any
// message) and computes its mac1 under key and, with a cookie, its mac2.
func finishHandshake(b []byte, sender uint32, key *netKey, cookie []byte) {
	binary.LittleEndian.PutUint32(b[4:], sender)
	key.mac.Seal(b, cookie)
}

// noiseMessage is the Noise part of a handshake packet other than msg1,
// whose length parsePacket checked.
func noiseMessage(b []byte) []byte {
	return b[handshakeHeaderSize : len(b)-handshakeMacsSize]
}

// initNoise is the Noise part of msg1 of pattern, without its padding;
// parsePacket checked that b is at least minInitSize.
func initNoise(b []byte, pattern byte, psk bool) []byte {
	return b[handshakeHeaderSize : handshakeHeaderSize+initNoiseSize(pattern, psk)]
}
