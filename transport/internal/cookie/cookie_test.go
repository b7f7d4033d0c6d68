package cookie

import (
	"net/netip"
	"testing"
	"time"
)

// packet is a fake handshake packet: some bytes, then room for the MACs.
func packet(b byte) []byte {
	pkt := make([]byte, 64+MacsSize)
	for i := range 64 {
		pkt[i] = b
	}
	return pkt
}

func TestMac1(t *testing.T) {
	j, other := NewKey([]byte("net")), NewKey([]byte("other net"))
	pkt := packet(1)
	j.Seal(pkt, nil)
	if !j.CheckMac1(pkt) {
		t.Fatal("own mac1 rejected")
	}
	if other.CheckMac1(pkt) {
		t.Fatal("mac1 of another network key accepted")
	}
	pkt[0] ^= 1
	if j.CheckMac1(pkt) {
		t.Fatal("mac1 of a changed packet accepted")
	}
}

func TestCookieRoundTrip(t *testing.T) {
	t0 := time.Unix(0, 0)
	initiator, responder, jar := NewKey([]byte("net")), NewKey([]byte("net")), New(t0)
	from := netip.MustParseAddrPort("10.0.0.1:1000")
	sent := packet(2)
	initiator.Seal(sent, nil)
	if jar.CheckMac2(sent, from) {
		t.Fatal("zero mac2 accepted")
	}
	body := jar.AppendReply(nil, sent, from, responder)
	if len(body) != ReplySize {
		t.Fatalf("reply body of %d bytes, want %d", len(body), ReplySize)
	}
	if _, err := initiator.OpenReply(body, packet(3)); err != ErrReply {
		t.Fatalf("reply to another packet: %v", err)
	}
	c, err := initiator.OpenReply(body, sent)
	if err != nil {
		t.Fatal(err)
	}
	initiator.Seal(sent, c)
	if !jar.CheckMac2(sent, from) {
		t.Fatal("mac2 with the cookie rejected")
	}
	if jar.CheckMac2(sent, netip.MustParseAddrPort("10.0.0.1:1001")) {
		t.Fatal("cookie accepted from another port")
	}
	jar.Rotate(t0.Add(rotateAfter))
	if !jar.CheckMac2(sent, from) {
		t.Fatal("cookie rejected after one rotation")
	}
	jar.Rotate(t0.Add(2 * rotateAfter))
	if jar.CheckMac2(sent, from) {
		t.Fatal("cookie accepted after two rotations")
	}
}

// TestReplyUnderAnotherKey: a cookie reply sealed under one network key's
// Key does not open under another's, so a responder must answer under the
// key the initiation was made with.
func TestReplyUnderAnotherKey(t *testing.T) {
	oldKey, newKey, jar := NewKey([]byte("old")), NewKey([]byte("new")), New(time.Unix(0, 0))
	from := netip.MustParseAddrPort("10.0.0.1:1000")
	sent := packet(4)
	oldKey.Seal(sent, nil)
	if _, err := oldKey.OpenReply(jar.AppendReply(nil, sent, from, newKey), sent); err != ErrReply {
		t.Fatalf("reply under another key: %v, want ErrReply", err)
	}
	if _, err := oldKey.OpenReply(jar.AppendReply(nil, sent, from, oldKey), sent); err != nil {
		t.Fatalf("reply under the same key: %v", err)
	}
}
