package membership

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gwyh/gwyh/rpc"
)

func sampleMessages() []message {
	a, b := testID(1), testID(2)
	alive := update{state: StateAlive, id: a, inc: 7, hasMeta: true, addr: "10.0.0.1:7946", zone: "z", tags: map[string]string{"k": "v"}}
	susp := update{state: StateSuspect, id: b, inc: 3, from: a}
	return []message{
		{kind: kindPing, seq: 1, target: b, updates: []update{alive, susp}},
		{kind: kindAck, seq: 300},
		{kind: kindPingReq, seq: 2, target: a, addr: "h:1", updates: []update{susp}},
		{kind: kindNack, seq: 9},
		{kind: kindGossip, updates: []update{{state: StateLeft, id: a, inc: 1}}},
		{kind: kindPushPull, reply: true, updates: []update{alive, {state: StateDead, id: b, hasMeta: true, addr: "x:1"}}},
		{kind: kindPushPull, partial: true, updates: []update{{state: StateAlive, id: b, inc: 2, hasMeta: true, fresh: true, addr: "x:2"}}},
		{kind: kindPushPull, reply: true, join: true, updates: []update{alive}},
	}
}

func TestRoundTrip(t *testing.T) {
	l := limitsOf(new(LANParams()))
	for _, m := range sampleMessages() {
		got, err := decode(encode(nil, &m), l)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("%v: got %+v, %v", m.kind, got, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	p := LANParams()
	p.MaxMembers = 2
	l := limitsOf(&p)
	id := testID(1)
	upd := func(state, flags byte, rest ...byte) []byte {
		b := append([]byte{byte(kindGossip), 1, state, flags}, id[:]...)
		return append(append(b, 0), rest...)
	}
	// Keys anyone can sign for, so no member can have them: the identity
	// point (small order) and y = p (non-canonical).
	var identity, nonCanonical [32]byte
	identity[0] = 1
	nonCanonical[0] = 0xed
	for i := 1; i < 31; i++ {
		nonCanonical[i] = 0xff
	}
	nonCanonical[31] = 0x7f
	updAbout := func(k [32]byte) []byte {
		b := append([]byte{byte(kindGossip), 1, byte(StateLeft), 0}, k[:]...)
		return append(b, 0)
	}
	for _, tc := range []struct {
		name  string
		body  []byte
		want  error
		limit string
	}{
		{"empty", nil, ErrMalformed, ""},
		{"unknown kind", []byte{99}, ErrMalformed, ""},
		{"short ping", []byte{byte(kindPing), 1, 2}, ErrMalformed, ""},
		{"trailing", []byte{byte(kindAck), 1, 0, 0}, ErrMalformed, ""},
		{"bad varint", []byte{byte(kindAck), 0xff, 0xff}, ErrMalformed, ""},
		{"count over bytes", []byte{byte(kindAck), 1, 100}, ErrMalformed, ""},
		{"bad state", upd(9, 0), ErrMalformed, ""},
		{"bad flags", upd(1, 0x80), ErrMalformed, ""},
		{"alive without meta", upd(0, 0), ErrMalformed, ""},
		{"addr too long", upd(0, 1, 0xff, 0x7f), ErrTooLarge, "MaxAddrLen"},
		{"zone too long", upd(0, 1, 0, 65), ErrTooLarge, "MaxZoneLen"},
		{"too many tags", upd(0, 1, 0, 0, 33), ErrTooLarge, "MaxTags"},
		{"dup tag", upd(0, 1, 0, 0, 2, 1, 'a', 0, 1, 'a', 0), ErrMalformed, ""},
		{"small-order update id", updAbout(identity), ErrMalformed, ""},
		{"non-canonical update id", updAbout(nonCanonical), ErrMalformed, ""},
		{"small-order ping target", append(append([]byte{byte(kindPing), 1}, identity[:]...), 0), ErrMalformed, ""},
		{"push-pull over MaxMembers", []byte{byte(kindPushPull), 0, 3}, ErrTooLarge, "MaxMembers"},
	} {
		_, err := decode(tc.body, l)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		var le *LimitError
		if tc.limit != "" && (!errors.As(err, &le) || le.Limit != tc.limit) {
			t.Errorf("%s: %v, want limit %s", tc.name, err, tc.limit)
		}
	}
}

func TestHandlePayloadErrors(t *testing.T) {
	nt := newNet(t, 1, 1, testParams())
	m := nt.nodes[0].m
	for _, tc := range []struct {
		name    string
		from    int
		payload []byte
		want    error
	}{
		{"not membership", 1, []byte{0x0a, 0}, ErrMalformed},
		{"from self", 0, rpc.AppendMembership(nil, []byte{byte(kindAck), 1, 0}), ErrFromSelf},
		{"over MaxPayload", 1, rpc.AppendMembership(nil, append([]byte{byte(kindAck), 1, 0}, make([]byte, 2000)...)), ErrTooLarge},
	} {
		if err := m.HandlePayload(nt.now, testID(tc.from), tc.payload); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v want %v", tc.name, err, tc.want)
		}
	}
	if s := m.Stats(); s.DropMalformed != 1 || s.DropFromSelf != 1 || s.DropTooLarge != 1 {
		t.Errorf("drops not counted: %+v", s)
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(encode(nil, &m))
	}
	l := limitsOf(new(LANParams()))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := decode(body, l)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := decode(encode(nil, &m), l)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %+v vs %+v (%v)", again, m, err)
		}
	})
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{LANParams(), WANParams(), LocalParams()} {
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	bad := LANParams()
	bad.ProbeTimeout, bad.GossipNodes, bad.MaxPayload = 0, 0, 10
	err := bad.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Fatalf("%d problems, want 3: %v", n, err)
	}
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New(zero): %v", err)
	}
}

// FuzzHandlePayload feeds whole payloads (rpc framing included) from a
// known member to a Membership that holds a few members: no input may
// panic it, and every error is typed.
func FuzzHandlePayload(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(rpc.AppendMembership(nil, encode(nil, &m)))
	}
	f.Add([]byte{0x7a, 0x00})
	f.Fuzz(func(t *testing.T, payload []byte) {
		nt := newNet(t, 3, 1, testParams())
		nt.joinAll(0)
		nt.run(time.Second)
		m := nt.nodes[0].m
		err := m.HandlePayload(nt.now, nt.nodes[1].id, payload)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, rpc.ErrMalformed) && !errors.Is(err, ErrFromSelf) {
			t.Fatalf("untyped error %v", err)
		}
		m.Tick(nt.now.Add(time.Second))
		for m.HasReady() {
			m.Ready()
			m.Advance()
		}
	})
}
