package transport

import (
	"encoding/binary"

	"github.com/flynn/noise"
)

// writeHandshake runs one Noise WriteMessage and frames it as a handshake
// packet with the sender index left zero (see finishHandshake). It returns
// the packet and, if the handshake completed, the two cipher states.
func writeHandshake(typ, pattern byte, receiver uint32, hs *noise.HandshakeState, payload []byte) ([]byte, *noise.CipherState, *noise.CipherState, error) {
	b := appendHandshakeHeader(make([]byte, 0, maxHandshakeSize), typ, pattern, 0, receiver)
	b, cs1, cs2, err := hs.WriteMessage(b, payload)
	if err != nil {
		return nil, nil, nil, err
	}
	b = append(b, make([]byte, handshakeMacsSize)...)
	return b, cs1, cs2, nil
}

// finishHandshake sets the sender index of b and computes its MACs.
func (c *Conn) finishHandshake(b []byte, sender uint32, cookie []byte) {
	binary.LittleEndian.PutUint32(b[4:], sender)
	c.jar.seal(b, cookie)
}

// noiseMessage is the Noise part of a handshake packet.
func noiseMessage(b []byte) []byte {
	return b[handshakeHeaderSize : len(b)-handshakeMacsSize]
}
