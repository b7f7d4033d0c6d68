package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

func netKey(b byte) []byte { return bytes.Repeat([]byte{b}, transport.NetworkKeySize) }

func TestNetworkKeysValidate(t *testing.T) {
	nine := make([][]byte, 9)
	for i := range nine {
		nine[i] = netKey(byte(i + 1))
	}
	tests := []struct {
		name string
		o    transport.Options
		ok   bool
	}{
		{"no key", transport.Options{}, true},
		{"one key", transport.Options{NetworkKey: netKey(1)}, true},
		{"keyring", transport.Options{NetworkKeys: [][]byte{netKey(1), netKey(2)}}, true},
		{"keyring of eight", transport.Options{NetworkKeys: nine[:8]}, true},
		{"keyring of nine", transport.Options{NetworkKeys: nine}, false},
		{"short key in keyring", transport.Options{NetworkKeys: [][]byte{netKey(1), []byte("short")}}, false},
		{"nil key in keyring", transport.Options{NetworkKeys: [][]byte{nil}}, false},
		{"repeated key", transport.Options{NetworkKeys: [][]byte{netKey(1), netKey(2), netKey(1)}}, false},
		{"both fields", transport.Options{NetworkKey: netKey(1), NetworkKeys: [][]byte{netKey(2)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errorsIs(err, transport.ErrConfig) {
				t.Fatalf("%v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestNetworkKeyID(t *testing.T) {
	a, b := transport.NetworkKeyID(netKey(1)), transport.NetworkKeyID(netKey(2))
	if len(a) != 16 || a == b || a != transport.NetworkKeyID(netKey(1)) {
		t.Fatalf("ids %q %q: want 16 hex digits, stable, distinct", a, b)
	}
	if transport.NetworkKeyID(nil) != "" {
		t.Fatal("no key has an id")
	}
	if bytes.Contains([]byte(a), []byte(fmt.Sprintf("%x", netKey(1)[:4]))) {
		t.Fatal("the id shows the key")
	}
}

// keyed returns fast Options with the keyring keys, and a PeerDownTimeout
// long enough that a loaded machine does not end sessions.
func keyed(keys ...[]byte) transport.Options {
	o := fastOpts()
	o.PeerDownTimeout = 10 * time.Second
	o.NetworkKeys = keys
	return o
}

// TestKeyringAcceptsEveryKeyInitiatesWithPrimary: a responder accepts an
// initiation under any key of its keyring and the session records that
// key; an initiator uses its primary only.
func TestKeyringAcceptsEveryKeyInitiatesWithPrimary(t *testing.T) {
	net := bindtest.NewNetwork()
	k1, k2 := netKey(1), netKey(2)
	a := memConn(t, net, 1, keyed(k2, k1)) // primary k2, accepts k1
	b := memConn(t, net, 2, keyed(k1))

	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	if _, err := a.Dial(ctx, b.LocalAddr().String(), peer.ID{}); err == nil {
		t.Fatal("a initiated under k1, which is not its primary")
	}
	if got := dial(t, b, a, peer.ID{}); got != a.ID() {
		t.Fatalf("dial = %v", got)
	}
	testkit.Eventually(t, 5*time.Second, "a has the session", func() bool { _, ok := a.PeerStats(b.ID()); return ok })
	st, _ := a.PeerStats(b.ID())
	if st.NetworkKeyID != transport.NetworkKeyID(k1) {
		t.Fatalf("a's session with b on key %q, want k1 %q", st.NetworkKeyID, transport.NetworkKeyID(k1))
	}
	ks := a.NetworkKeyStats()
	want := []transport.NetworkKeyStats{
		{ID: transport.NetworkKeyID(k2), Primary: true},
		{ID: transport.NetworkKeyID(k1), Sessions: 1, Handshakes: 1},
	}
	if fmt.Sprint(ks) != fmt.Sprint(want) {
		t.Fatalf("a's key stats %+v, want %+v", ks, want)
	}
}

// TestKeyringCookieReply: a responder under load answers an initiation
// under a non-primary key of its keyring with a cookie reply under that
// key, which the initiator can open, so the handshake completes.
func TestKeyringCookieReply(t *testing.T) {
	net := bindtest.NewNetwork()
	k1, k2 := netKey(1), netKey(2)
	ob := keyed(k2, k1)
	ob.CookieLoad = -1 // always under load
	a := memConn(t, net, 1, keyed(k1))
	b := memConn(t, net, 2, ob)
	dial(t, a, b, peer.ID{})
	if s := b.Stats(); s.CookiesSent == 0 {
		t.Fatalf("no cookie round trip: %+v", s)
	}
}

func TestSetNetworkKeysRefusesBadKeyring(t *testing.T) {
	c := memConn(t, bindtest.NewNetwork(), 1, keyed(netKey(1)))
	before := c.NetworkKeyStats()
	for _, keys := range [][][]byte{{netKey(2), []byte("short")}, {netKey(2), netKey(2)}} {
		if err := c.SetNetworkKeys(keys); !errorsIs(err, transport.ErrConfig) {
			t.Fatalf("SetNetworkKeys: %v, want ErrConfig", err)
		}
	}
	if got := c.NetworkKeyStats(); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("keyring changed by refused calls: %+v, was %+v", got, before)
	}
	keys := [][]byte{netKey(3)}
	if err := c.SetNetworkKeys(keys); err != nil {
		t.Fatal(err)
	}
	keys[0][0] ^= 1 // the Conn holds its own copy
	if got := c.NetworkKeyStats()[0].ID; got != transport.NetworkKeyID(netKey(3)) {
		t.Fatalf("primary %q, want the key as given", got)
	}
}

// TestRemovedKeyEndsSession: a session made with a key the keyring no
// longer holds ends on both sides (a bye tells the peer).
func TestRemovedKeyEndsSession(t *testing.T) {
	net := bindtest.NewNetwork()
	a := memConn(t, net, 1, keyed(netKey(1)))
	b := memConn(t, net, 2, keyed(netKey(1)))
	dial(t, a, b, peer.ID{})
	nextEvent(t, b, transport.EventPeerUp)
	if err := b.SetNetworkKeys([][]byte{netKey(2)}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, b, transport.EventPeerDown)
	nextEvent(t, a, transport.EventPeerDown)
}

// watcher drains a Conn's events: payloads go to a channel, peer-downs
// are counted.
type watcher struct {
	payloads chan transport.Event
	mu       sync.Mutex
	downs    int
}

func watch(c *transport.Conn) *watcher {
	w := &watcher{payloads: make(chan transport.Event, 1024)}
	go func() {
		for ev := range c.Events() {
			switch ev.Kind {
			case transport.EventPayload:
				w.payloads <- ev
			case transport.EventPeerDown:
				w.mu.Lock()
				w.downs++
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// TestNetworkKeyRotationLive rotates the key of a live three-node cluster
// with the documented procedure (add the new key everywhere, make it
// primary everywhere, remove the old one) while messages flow: no session
// goes down, every message arrives, the sessions move to the new key, and
// afterwards a node with only the old key cannot handshake while one with
// the new key can.
func TestNetworkKeyRotationLive(t *testing.T) {
	net := bindtest.NewNetwork()
	oldKey, newKey := netKey(1), netKey(2)
	conns := make([]*transport.Conn, 3)
	ws := make([]*watcher, 3)
	for i := range conns {
		conns[i] = memConn(t, net, i+1, keyed(oldKey))
	}
	dump := func() {
		for i, c := range conns {
			t.Logf("node %d: keys %+v, drops %v", i, c.NetworkKeyStats(), c.Stats().Drops)
		}
	}
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		dial(t, conns[pair[0]], conns[pair[1]], peer.ID{})
	}
	for i, c := range conns {
		testkit.Eventually(t, 5*time.Second, "full mesh", func() bool { return len(c.Peers()) == 2 })
		ws[i] = watch(c)
	}
	exchange := func(step string) {
		t.Helper()
		for i, from := range conns {
			for j, to := range conns {
				if i == j {
					continue
				}
				msg := fmt.Sprintf("%s %d->%d", step, i, j)
				if err := from.Send(to.ID(), []byte(msg), transport.PriorityMessage); err != nil {
					t.Fatalf("%s: send %d->%d: %v", step, i, j, err)
				}
				select {
				case ev := <-ws[j].payloads:
					if string(ev.Payload) != msg {
						t.Fatalf("%s: got %q, want %q", step, ev.Payload, msg)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: %q lost", step, msg)
				}
			}
		}
	}
	setAll := func(keys ...[]byte) {
		t.Helper()
		for _, c := range conns {
			if err := c.SetNetworkKeys(keys); err != nil {
				t.Fatal(err)
			}
		}
	}
	onKey := func(c *transport.Conn, key []byte) int {
		for _, k := range c.NetworkKeyStats() {
			if k.ID == transport.NetworkKeyID(key) {
				return k.Sessions
			}
		}
		return 0
	}
	exchange("before")

	setAll(oldKey, newKey) // 1: accept the new key
	exchange("step 1")
	setAll(newKey, oldKey) // 2: make it primary; sessions are rekeyed onto it
	for i, c := range conns {
		// Generous: the rekeys cross (every node starts them at once) and
		// a loaded machine slows them; it returns as soon as they are done.
		testkit.Eventually(t, 20*time.Second, fmt.Sprintf("node %d's sessions on the new key", i), func() bool {
			return onKey(c, newKey) == 2 && onKey(c, oldKey) == 0
		}, dump)
		for _, id := range c.Peers() {
			if st, _ := c.PeerStats(id); st.NetworkKeyID != transport.NetworkKeyID(newKey) {
				t.Fatalf("node %d: session with %s on key %q", i, id.Short(), st.NetworkKeyID)
			}
		}
	}
	exchange("step 2")
	setAll(newKey) // 3: remove the old key
	exchange("step 3")
	for i, w := range ws {
		w.mu.Lock()
		downs := w.downs
		w.mu.Unlock()
		if downs != 0 || len(conns[i].Peers()) != 2 {
			t.Fatalf("node %d: %d peer-downs, %d peers during the rotation", i, downs, len(conns[i].Peers()))
		}
	}

	stale := memConn(t, net, 4, keyed(oldKey))
	before := conns[0].Stats().Drops[transport.DropAuth]
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := stale.Dial(ctx, conns[0].LocalAddr().String(), peer.ID{}); err == nil {
		t.Fatal("a node with only the old key completed a handshake after its removal")
	}
	testkit.Eventually(t, 5*time.Second, "the old key's initiations dropped as auth failures", func() bool {
		return conns[0].Stats().Drops[transport.DropAuth] > before
	})
	fresh := memConn(t, net, 5, keyed(newKey))
	dial(t, fresh, conns[0], peer.ID{})
}
