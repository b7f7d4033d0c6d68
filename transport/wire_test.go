package transport

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestParsePacket(t *testing.T) {
	hs := func(typ, pat byte, s, r uint32, n int) []byte {
		return append(appendHandshakeHeader(nil, typ, pat, s, r), make([]byte, n)...)
	}
	tests := []struct {
		name string
		in   []byte
		want header
		err  error
	}{
		{"empty", nil, header{}, errShort},
		{"unknown", []byte{99, 0, 0, 0}, header{Type: 99}, errUnknownType},
		{"data short", appendDataHeader(nil, 1, 2), header{Type: typeData}, errShort},
		{"data", append(appendDataHeader(nil, 7, 9), make([]byte, tagSize)...), header{Type: typeData, Receiver: 7, Counter: 9}, nil},
		{"data reserved", append([]byte{typeData, 1, 0, 0}, make([]byte, 28)...), header{Type: typeData}, errMalformed},
		{"init", hs(typeHandshakeInit, patternXX, 5, 0, minInitSize(patternXX)-handshakeHeaderSize), header{Type: 1, Pattern: patternXX, Sender: 5}, nil},
		{"init IK", hs(typeHandshakeInit, patternIK, 5, 0, minInitSize(patternIK)-handshakeHeaderSize), header{Type: 1, Pattern: patternIK, Sender: 5}, nil},
		{"init unpadded", hs(typeHandshakeInit, patternXX, 5, 0, minInitSize(patternXX)-handshakeHeaderSize-1), header{}, errUnpadded},
		{"init IK unpadded", hs(typeHandshakeInit, patternIK, 5, 0, minInitSize(patternIK)-handshakeHeaderSize-1), header{}, errUnpadded},
		{"init with receiver", hs(typeHandshakeInit, patternXX, 5, 1, 64), header{}, errMalformed},
		{"response no receiver", hs(typeHandshakeResponse, patternIK, 5, 0, 64), header{}, errMalformed},
		{"final IK", hs(typeHandshakeFinal, patternIK, 5, 6, 64), header{}, errMalformed},
		{"bad pattern", hs(typeHandshakeInit, 9, 5, 0, 64), header{}, errMalformed},
		{"handshake short", hs(typeHandshakeInit, patternXX, 5, 0, 10), header{}, errShort},
		{"handshake huge", hs(typeHandshakeInit, patternXX, 5, 0, 1000), header{}, errMalformed},
		{"cookie", append([]byte{typeCookieReply, 0, 0, 0, 3, 0, 0, 0}, make([]byte, cookieReplySize-8)...), header{Type: typeCookieReply, Receiver: 3}, nil},
		{"cookie short", []byte{typeCookieReply, 0, 0, 0, 3, 0, 0, 0}, header{}, errShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parsePacket(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && h != tt.want {
				t.Fatalf("header = %+v, want %+v", h, tt.want)
			}
		})
	}
}

func TestFramesRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{7}, minFragmentData)
	var b []byte
	b = appendPayloadFrame(b, []byte("hello"))
	b = appendFragmentFrame(b, 9, 0, 3, big)
	b = appendFragmentFrame(b, 9, 2, 3, []byte("x"))
	b = appendPingFrame(b, framePing, 12345)
	b = appendPingFrame(b, framePong, 54321)
	b = appendReportFrame(b, report{Index: 4, Packets: 5, Bytes: 6, Highest: 7})
	b = appendPayloadFrame(b, nil)
	want := []frame{
		{Type: framePayload, Data: []byte("hello")},
		{Type: frameFragment, MsgID: 9, Index: 0, Count: 3, Data: big},
		{Type: frameFragment, MsgID: 9, Index: 2, Count: 3, Data: []byte("x")},
		{Type: framePing, TS: 12345},
		{Type: framePong, TS: 54321},
		{Type: frameReport, Rep: report{4, 5, 6, 7}},
		{Type: framePayload, Data: []byte{}},
	}
	for i, w := range want {
		if n := frameLen(b); n > len(b) {
			t.Fatalf("frame %d: frameLen %d > %d", i, n, len(b))
		}
		f, rest, err := nextFrame(b)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Type != w.Type || !bytes.Equal(f.Data, w.Data) || f.MsgID != w.MsgID || f.Index != w.Index ||
			f.Count != w.Count || f.TS != w.TS || f.Rep != w.Rep {
			t.Fatalf("frame %d = %+v, want %+v", i, f, w)
		}
		b = rest
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
}

func TestFramesRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"unknown type", []byte{0x7f}},
		{"payload truncated", appendPayloadFrame(nil, []byte("hello"))[:6]},
		{"fragment count 1", appendFragmentFrame(nil, 1, 0, 1, []byte("x"))},
		{"fragment index past count", appendFragmentFrame(nil, 1, 3, 3, []byte("x"))},
		{"fragment tiny middle", appendFragmentFrame(nil, 1, 0, 3, []byte("x"))},
		{"fragment empty", appendFragmentFrame(nil, 1, 2, 3, nil)},
		{"ping short", []byte{framePing, 1, 2}},
		{"report short", []byte{frameReport, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := nextFrame(tt.in); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// FuzzParsePacket feeds arbitrary datagrams through the header parser and, for
// data packets, the frame parser on the body: no panic, and every accepted
// frame lies inside the input.
func FuzzParsePacket(f *testing.F) {
	f.Add(append(appendDataHeader(nil, 1, 2), make([]byte, 16)...))
	f.Add(appendPayloadFrame(appendPingFrame(nil, framePing, 3), []byte("abc")))
	f.Add(appendFragmentFrame(nil, 1, 1, 2, []byte("zz")))
	f.Add(append(appendHandshakeHeader(nil, typeHandshakeInit, patternIK, 1, 0), make([]byte, 100)...))
	f.Add(append(appendHandshakeHeader(nil, typeHandshakeInit, patternXX, 1, 0), make([]byte, 300)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parsePacket(b)
		if err == nil && h.Type == typeData && len(b) < dataOverhead {
			t.Fatalf("data packet of %d bytes accepted", len(b))
		}
		if err == nil && h.Type == typeHandshakeInit {
			if len(b) < minInitSize(h.Pattern) {
				t.Fatalf("msg1 of %d bytes accepted, below %d", len(b), minInitSize(h.Pattern))
			}
			_ = initNoise(b, h.Pattern, true) // in bounds for any accepted msg1
		}
		rest := b
		for len(rest) > 0 {
			fr, r, err := nextFrame(rest)
			if err != nil {
				return
			}
			if len(r) >= len(rest) || len(fr.Data) > len(rest) {
				t.Fatalf("frame parser did not advance: %d -> %d", len(rest), len(r))
			}
			if fr.Type == framePayload || fr.Type == frameFragment {
				if frameLen(rest) != len(rest)-len(r) {
					t.Fatalf("frameLen %d, consumed %d", frameLen(rest), len(rest)-len(r))
				}
			}
			rest = r
		}
	})
}

// The Noise sizes that pad msg1 (derived from idPayloadSize and the Noise
// overheads) match what the Noise library writes, with and without a PSK.
func TestHandshakeSizes(t *testing.T) {
	for _, psk := range [][]byte{nil, bytes.Repeat([]byte{1}, 32)} {
		li, err := newLocalID(testIdentity(t, 1), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		lr, err := newLocalID(testIdentity(t, 2), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for _, pattern := range []byte{patternXX, patternIK} {
			ini, _ := newNoise(pattern, true, li, psk, lr.static.Public, nil)
			res, _ := newNoise(pattern, false, lr, psk, nil, nil)
			var payload []byte
			if pattern == patternIK {
				payload = li.payload(now)
			}
			m1, _, _, err := ini.WriteMessage(nil, payload)
			if err != nil {
				t.Fatal(err)
			}
			if len(m1) != initNoiseSize(pattern, psk != nil) {
				t.Fatalf("pattern %d psk %v: msg1 noise %d bytes, want %d", pattern, psk != nil, len(m1), initNoiseSize(pattern, psk != nil))
			}
			if _, _, _, err := res.ReadMessage(nil, m1); err != nil {
				t.Fatal(err)
			}
			m2, _, _, err := res.WriteMessage(nil, lr.payload(now))
			if err != nil {
				t.Fatal(err)
			}
			want := map[byte]int{patternXX: xxMsg2Noise, patternIK: ikMsg2Noise}[pattern]
			if len(m2) != want {
				t.Fatalf("pattern %d psk %v: msg2 noise %d bytes, want %d", pattern, psk != nil, len(m2), want)
			}
			if reply := handshakeHeaderSize + len(m2) + handshakeMacsSize; minInitSize(pattern) < reply || minInitSize(pattern) < cookieReplySize {
				t.Fatalf("pattern %d: msg1 of %d bytes answered with %d", pattern, minInitSize(pattern), reply)
			}
		}
	}
}

// An unpadded msg1 (which would get a larger msg2 from a spoofed address)
// is dropped before any work, and counted.
func TestUnpaddedInitDropped(t *testing.T) {
	c := nullConn(t, Options{})
	pkt := initiation(t, c, patternXX, nil)
	short := append(append([]byte(nil), initNoise(pkt, patternXX, false)...), make([]byte, handshakeMacsSize)...)
	short = append(appendHandshakeHeader(nil, typeHandshakeInit, patternXX, 1, 0), short...)
	primaryMac(c).Seal(short, nil)
	feed(c, short, netip.MustParseAddrPort("10.6.0.1:1"), time.Now())
	if d := c.Stats().Drops[DropUnpaddedInit]; d != 1 {
		t.Fatalf("%d unpadded-init drops, want 1", d)
	}
	if all, _ := halfOpenCount(c, "10.6.0.1"); all != 0 {
		t.Fatal("an unpadded msg1 was answered")
	}
}
