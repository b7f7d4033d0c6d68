package transport

import (
	"net/netip"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/gwyh/gwyh/transport/internal/replay"
)

// TestAEADLimits checks the per-cipher usage limits of RFC 9001 §6.6: an
// AES-GCM session rekeys after 2^22 packets and seals none from 2^23 on
// (its confidentiality limit), a ChaCha20-Poly1305 one goes on; and a
// keypair on which the integrity limit of forgeries failed is retired.
func TestAEADLimits(t *testing.T) {
	mock := clock.NewMock()
	c, err := Listen("", testIdentity(t, 1), Options{Socket: newNullSocket(), Clock: mock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := mock.Now()
	tests := []struct {
		name       string
		cipher     byte
		sent       uint64
		rekey, can bool // rekey due; may still seal
	}{
		{"AES-GCM fresh", cipherAESGCM, 0, false, true},
		{"AES-GCM at 2^22", cipherAESGCM, 1 << 22, true, true},
		{"AES-GCM at 2^23", cipherAESGCM, 1 << 23, true, false},
		{"ChaCha at 2^23", cipherChaCha, 1 << 23, false, true},
		{"ChaCha near the nonce limit", cipherChaCha, replay.RejectAfterMessages, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp := &keypair{initiator: true, created: now, limits: limitsFor(tt.cipher)}
			kp.sendCount.Store(tt.sent)
			if got := c.rekeyDue(kp, now); got != tt.rekey {
				t.Fatalf("rekeyDue = %v, want %v", got, tt.rekey)
			}
			p := &peerState{current: kp}
			if got := p.sendKeypair(now, c.opts.RejectAfterTime) != nil; got != tt.can {
				t.Fatalf("may seal = %v, want %v", got, tt.can)
			}
		})
	}

	// Integrity: forged packets on a keypair count; at the limit it goes.
	var k [32]byte
	kp := &keypair{local: 7, remote: 8, limits: limitsFor(cipherChaCha),
		send: aeadDir{aead: newCipher(cipherChaCha, k)}, recv: aeadDir{aead: newCipher(cipherChaCha, k)}}
	kp.limits.integrity = 3
	id := testIdentity(t, 2).ID()
	from := netip.MustParseAddrPort("10.1.1.1:1")
	if c.install(newSession{id: id, static: make([]byte, 32), addr: from, kp: kp, current: true}, now) == nil {
		t.Fatal("install failed")
	}
	forged := kp.send.sealData(nil, 7, 1, []byte{framePing, 0, 0, 0, 0, 0, 0, 0, 0})
	forged[len(forged)-1] ^= 1
	for i := range 3 {
		if !c.hasSession(id) {
			t.Fatalf("session gone after %d forgeries, limit 3", i)
		}
		c.handlePacket(append([]byte(nil), forged...), from, now)
	}
	if c.hasSession(id) || c.Stats().Drops[DropExpiredKeypair] == 0 {
		t.Fatalf("keypair kept past its integrity limit: %+v", c.Stats())
	}
}

// TestOldKeypairsRetired: sessions replaced by rekeys stay valid for late
// packets only until RejectAfterTime, and a packet on keys that old is
// dropped and counted.
func TestOldKeypairsRetired(t *testing.T) {
	mock := clock.NewMock()
	c, err := Listen("", testIdentity(t, 1), Options{Socket: newNullSocket(), Clock: mock, RejectAfterTime: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var k [32]byte
	newKP := func(idx uint32) *keypair {
		return &keypair{local: idx, remote: idx, limits: limitsFor(cipherChaCha),
			send: aeadDir{aead: newCipher(cipherChaCha, k)}, recv: aeadDir{aead: newCipher(cipherChaCha, k)}}
	}
	id := testIdentity(t, 2).ID()
	from := netip.MustParseAddrPort("10.1.1.1:1")
	t0 := mock.Now()
	old := newKP(1)
	c.install(newSession{id: id, static: make([]byte, 32), addr: from, kp: old, current: true}, t0)
	p := c.install(newSession{id: id, static: make([]byte, 32), addr: from, kp: newKP(2), current: true}, t0.Add(2*time.Minute))
	pkt := old.send.sealData(nil, 1, 5, nil)
	at := t0.Add(3*time.Minute + time.Second) // old is past RejectAfterTime, current is not
	c.handlePacket(append([]byte(nil), pkt...), from, at)
	if c.Stats().Drops[DropExpiredKeypair] != 1 {
		t.Fatalf("packet on expired keys not dropped: %v", c.Stats().Drops)
	}
	if c.expireKeypairs(p, at) {
		t.Fatal("session ended with a usable current keypair")
	}
	c.mu.Lock()
	_, indexed := c.index[1]
	c.mu.Unlock()
	p.mu.Lock()
	n := len(p.old)
	p.mu.Unlock()
	if indexed || n != 0 {
		t.Fatalf("expired old keypair kept (indexed %v, %d old)", indexed, n)
	}
}
