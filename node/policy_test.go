package node

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
	"github.com/gwyh/gwyh/transport/bindtest"
)

// Two nodes with different signature policies never link: within a second
// each says so once at Warn (the default level), naming the peer and both
// policies, and counts the refusal; no mesh forms, and redials are
// refused again without more Warn lines.
func TestSignaturePolicyMismatchRefused(t *testing.T) {
	nw := bindtest.NewNetwork()
	logs := []*logBuffer{{}, {}}
	start := time.Now()
	nodes := startNodes(t, 2, onNet(nw, func(i int, c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs[i], nil)) // Info and above
		c.DialTimeout = 500 * time.Millisecond                 // a dial crossed with the peer's may wait for it
		if i == 1 {
			c.SignaturePolicy = router.StrictNoSign
		}
	}))
	for _, n := range nodes {
		if _, err := n.JoinTopic("t", TopicOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(n *Node) uint64 { st, _ := n.Stats(); return st.NodeDrops[dropPolicyMismatch] }
	want := []string{
		"peer " + nodes[1].ID().String() + " signs with StrictNoSign, this node requires StrictSign: not linked",
		"peer " + nodes[0].ID().String() + " signs with StrictSign, this node requires StrictNoSign: not linked",
	}
	testkit.Eventually(t, time.Second, "both nodes warn and count the mismatch", func() bool {
		return len(logs[0].lines("WARN", want[0])) == 1 && len(logs[1].lines("WARN", want[1])) == 1 &&
			refused(nodes[0]) > 0 && refused(nodes[1]) > 0
	}, func() { t.Logf("after %v\nnode 0:\n%s\nnode 1:\n%s", time.Since(start), logs[0], logs[1]) })

	// Node 1 redials its seed (backoff 50 ms, growing): every session is
	// refused, and nobody warns again.
	before := refused(nodes[0])
	testkit.Eventually(t, 5*time.Second, "a redial is refused too", func() bool { return refused(nodes[0]) > before }, func() {
		for _, n := range nodes {
			st, _ := n.Stats()
			t.Logf("%+v %+v sessions %d", st.Peering, st.Drops(), st.Sessions)
		}
		t.Logf("node 0:\n%s\nnode 1:\n%s", logs[0], logs[1])
	})
	for i, n := range nodes {
		if p := n.Peers(); len(p) != 0 {
			t.Errorf("node %d has peers %v", i, p)
		}
		st, _ := n.Stats()
		if len(st.Topics) != 1 || len(st.Topics[0].Mesh) != 0 {
			t.Errorf("node %d topics %+v, want an empty mesh", i, st.Topics)
		}
		if w := logs[i].lines("WARN", "signs with"); len(w) != 1 {
			t.Errorf("node %d warned %d times: %q", i, len(w), w)
		}
	}
}

// A peer that announces no policy (a node that predates the hello's
// field) is linked; when its policy arrives later and differs (its first
// hello was lost and the resent one came after other payloads), it is
// unlinked, told our policy once, and its session ends.
func TestSignaturePolicyLearnedLate(t *testing.T) {
	nw := bindtest.NewNetwork()
	cfg := testConfig(t, 0)
	cfg.socket = nw.Listen()
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := transport.Listen("127.0.0.1:0", testkit.Identity(t, "old-peer"), transport.Options{Socket: nw.Listen()})
	if err != nil {
		t.Fatal(err)
	}
	hellos, down := make(chan rpc.Hello, 8), make(chan struct{})
	go func() {
		for ev := range b.Events() {
			switch ev.Kind {
			case transport.EventPayload:
				if h, ok, err := rpc.ReadHello(ev.Payload); err == nil && ok {
					hellos <- h
				}
			case transport.EventPeerDown:
				close(down)
			}
		}
	}()
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.Dial(ctx, a.Addr().String(), a.ID()); err != nil {
		t.Fatal(err)
	}
	mine := rpc.Hello{SignaturePolicy: uint64(router.StrictSign), HasSignaturePolicy: true}
	nextHello := func(what string) {
		t.Helper()
		select {
		case h := <-hellos:
			if h != mine {
				t.Fatalf("%s: hello %+v, want %+v", what, h, mine)
			}
		case <-ctx.Done():
			t.Fatalf("%s: no hello", what)
		}
	}

	// The old hello: linked, answered with our policy.
	if err := b.Send(a.ID(), []byte{0x1a, 0x00}, transport.PriorityControl); err != nil {
		t.Fatal(err)
	}
	nextHello("linking")
	testkit.Eventually(t, 5*time.Second, "linked", func() bool { return slices.Contains(a.Peers(), b.ID()) })

	// A hello without a policy says nothing either.
	if err := b.Send(a.ID(), rpc.AppendHello(nil, rpc.Hello{}), transport.PriorityControl); err != nil {
		t.Fatal(err)
	}
	// The resent hello, with another policy.
	noSign := rpc.AppendHello(nil, rpc.Hello{SignaturePolicy: uint64(router.StrictNoSign), HasSignaturePolicy: true})
	if err := b.Send(a.ID(), noSign, transport.PriorityControl); err != nil {
		t.Fatal(err)
	}
	nextHello("refusing")
	if slices.Contains(a.Peers(), b.ID()) {
		t.Fatal("still linked after the mismatch")
	}
	if w := logs.lines("WARN", "peer "+b.ID().String()+" signs with StrictNoSign, this node requires StrictSign"); len(w) != 1 {
		t.Fatalf("warnings %q", w)
	}
	// Whatever else comes on the session is dropped, and it does not
	// make the peer a peer again; no second answering hello.
	if err := b.Send(a.ID(), noSign, transport.PriorityControl); err != nil {
		t.Fatal(err)
	}
	select {
	case <-down:
	case <-ctx.Done():
		t.Fatal("the refused session did not end")
	}
	select {
	case h := <-hellos:
		t.Fatalf("a second answering hello %+v", h)
	default:
	}
	st, _ := a.Stats()
	if d := st.NodeDrops[dropPolicyMismatch]; d != 2 {
		t.Fatalf("signature-policy-mismatch drops %d, want 2 (%v)", d, st.Drops())
	}
	if !strings.Contains(logs.String(), "signs with") || slices.Contains(a.Peers(), b.ID()) {
		t.Fatal("relinked")
	}
}

func TestPolicyName(t *testing.T) {
	for p, want := range map[uint64]string{0: "StrictSign", 1: "StrictNoSign", 7: "an unknown policy (7)"} {
		if got := policyName(p); got != want {
			t.Errorf("policyName(%d) = %q, want %q", p, got, want)
		}
	}
}
