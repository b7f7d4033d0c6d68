package node

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
)

// logBuffer collects a node's log lines (text handler) for tests.
type logBuffer struct{ testkit.Buffer }

// lines returns the lines at level (e.g. "WARN") containing text.
func (b *logBuffer) lines(level, text string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, "level="+level+" ") && strings.Contains(l, text) {
			out = append(out, l)
		}
	}
	return out
}

// A node whose seeds cannot be reached says why at Warn, once per seed
// and cause however often it redials, and at Info once a seed answers:
// nothing listening (or a different network key: both are silence), a
// seed that is another peer than the ID given for it, a host that does
// not resolve.
func TestDialWarningsNameTheCause(t *testing.T) {
	live := startNodes(t, 1, func(_ int, c *Config) { c.NetworkKey = bytes.Repeat([]byte{1}, 32) })[0]
	wrongID := testkit.Identity(t, "not-the-live-node").ID()
	dead := testkit.FreeUDPAddr(t)
	logs := map[int]*logBuffer{}
	mk := func(i int, c *Config) {
		logs[i] = &logBuffer{}
		c.Logger = slog.New(slog.NewTextHandler(logs[i], &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.DialTimeout = 300 * time.Millisecond
		c.Bootstrap = nil
	}
	// Node 1 (the live node's network key): three seeds, three causes.
	// Node 2: the live node's address under another network key.
	startNodes(t, 3, func(i int, c *Config) {
		switch i {
		case 0:
			c.Listen = "127.0.0.1:0"
			return
		case 1:
			mk(i, c)
			c.NetworkKey = bytes.Repeat([]byte{1}, 32)
			c.Bootstrap = []string{dead, wrongID.String() + "@" + live.Addr().String(), "nosuch-host.invalid:7000"}
		case 2:
			mk(i, c)
			c.NetworkKey = bytes.Repeat([]byte{2}, 32)
			c.Bootstrap = []string{live.Addr().String()}
		}
	})
	want := []struct {
		node int
		text string
	}{
		{1, fmt.Sprintf("no answer from seed %s within 300ms: nothing listening there, or a different network key?", dead)},
		{1, fmt.Sprintf("seed %s is peer %s, not %s", live.Addr(), live.ID(), wrongID)},
		{1, `cannot reach seed nosuch-host.invalid:7000: cannot resolve host \"nosuch-host.invalid\"`},
		{2, fmt.Sprintf("no answer from seed %s within 300ms: nothing listening there, or a different network key?", live.Addr())},
	}
	for _, w := range want {
		testkit.Eventually(t, 10*time.Second, fmt.Sprintf("node %d warns %q", w.node, w.text), func() bool {
			return len(logs[w.node].lines("WARN", w.text)) > 0
		}, func() { t.Logf("node %d log:\n%s", w.node, logs[w.node]) })
	}
	// Once per cause: after three more failed dials of each, still one
	// warning each.
	for _, target := range []string{dead, live.Addr().String()} {
		testkit.Eventually(t, 10*time.Second, "three failed dials of "+target, func() bool {
			return len(logs[1].lines("DEBUG", `"dial failed" addr=`+target)) >= 4
		}, func() { t.Logf("node 1 log:\n%s", logs[1]) })
	}
	for _, w := range want {
		if got := logs[w.node].lines("WARN", w.text); len(got) != 1 {
			t.Errorf("node %d warned %d times, want once:\n%s", w.node, len(got), strings.Join(got, "\n"))
		}
	}

	// A node starts listening at the dead address: the seed is reached,
	// and node 1 says so.
	cfg := testConfig(t, 7)
	cfg.Listen = dead
	cfg.NetworkKey = bytes.Repeat([]byte{1}, 32)
	back, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	testkit.Eventually(t, 10*time.Second, "node 1 reports the seed reached", func() bool {
		return len(logs[1].lines("INFO", "reached seed "+dead+" after ")) == 1
	}, func() { t.Logf("node 1 log:\n%s", logs[1]) })
}
