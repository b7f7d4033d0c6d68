package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"go.uber.org/goleak"
)

// TestMain lets the test binary act as the gwyh command, so that tests can
// run real `gwyh node` processes (and kill them) without building one.
func TestMain(m *testing.M) {
	if os.Getenv("GWYH_TEST_AS_COMMAND") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m) // and no test leaves a goroutine behind
}

// proc is one `gwyh node` process: its stdin, and its output lines.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   []string // stdout lines (deliveries)
	errs  []string // stderr lines
	addr  chan string
	done  chan struct{}
}

var listenRE = regexp.MustCompile(`listening on (\S+),`)

// startNode runs `gwyh node` with args in a new process.
func startNode(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"node", "-listen", "127.0.0.1:0", "-membership", "local", "-sign", "none", "-topic", "t"}, args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "GWYH_TEST_AS_COMMAND=1")
	p := &proc{t: t, name: name, cmd: cmd, addr: make(chan string, 1), done: make(chan struct{})}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.collect(stdout, &p.out, nil)
	}()
	go func() {
		defer wg.Done()
		p.collect(stderr, &p.errs, func(line string) {
			if m := listenRE.FindStringSubmatch(line); m != nil {
				p.addr <- m[1]
			}
		})
	}()
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			t.Logf("%s stderr:\n%s", name, strings.Join(p.errs, "\n"))
			p.mu.Unlock()
		}
	})
	return p
}

func (p *proc) collect(r io.Reader, into *[]string, each func(string)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		*into = append(*into, line)
		p.mu.Unlock()
		if each != nil {
			each(line)
		}
	}
}

// address waits for the process's listen address.
func (p *proc) address() string {
	p.t.Helper()
	select {
	case a := <-p.addr:
		return a
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s printed no listen address", p.name)
		return ""
	}
}

// say publishes a line from p.
func (p *proc) say(line string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, line); err != nil {
		p.t.Fatalf("%s stdin: %v", p.name, err)
	}
}

// has reports whether p printed a delivery ending in text, or (stderr)
// a line containing it.
func (p *proc) has(text string, stderr bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := p.out
	if stderr {
		lines = p.errs
	}
	for _, l := range lines {
		if stderr && strings.Contains(l, text) || !stderr && strings.HasSuffix(l, ": "+text) {
			return true
		}
	}
	return false
}

// Six `gwyh node` processes join through the first; it is killed with
// SIGKILL (no goodbye); the other five learn it is dead and keep
// delivering to each other, and a seventh that joins through a survivor
// receives too.
func TestNodeProcessesSurviveSeedKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs seven processes")
	}
	seed := startNode(t, "seed")
	seedAddr := seed.address()
	procs := []*proc{seed}
	for i := 1; i < 6; i++ {
		procs = append(procs, startNode(t, fmt.Sprintf("node%d", i), "-join", seedAddr))
	}
	// Everyone hears everyone: node1 says a line per poll while the
	// meshes form, until each node printed one.
	k := 0
	testkit.Eventually(t, 20*time.Second, "every node delivers a line of node1's", func() bool {
		k++
		procs[1].say(fmt.Sprintf("warm-%d", k))
		for _, p := range append([]*proc{procs[0]}, procs[2:]...) {
			if !containsPrefix(p, "warm-") {
				return false
			}
		}
		return true
	})

	if err := seed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-seed.done
	live := procs[1:]
	for _, p := range live {
		testkit.Eventually(t, 15*time.Second, p.name+" learns the seed is dead", func() bool { return p.has(" dead at "+seedAddr, true) })
	}
	for k := range 5 {
		live[k%len(live)].say(fmt.Sprintf("after-%d", k))
	}
	for k := range 5 {
		line := fmt.Sprintf("after-%d", k)
		for i, p := range live {
			if i == k%len(live) {
				continue // its own line is not printed
			}
			testkit.Eventually(t, 10*time.Second, p.name+" receives "+line, func() bool { return p.has(line, false) })
		}
	}

	late := startNode(t, "late", "-join", live[2].address())
	testkit.Eventually(t, 15*time.Second, "the late node's first delivery", func() bool {
		k++
		live[0].say(fmt.Sprintf("late-%d", k)) // one line per poll while the late node's mesh forms
		return containsPrefix(late, "late-")
	})
}

// containsPrefix reports whether p printed a delivery whose text starts
// with prefix.
func containsPrefix(p *proc, prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.out {
		if _, text, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(text, prefix) {
			return true
		}
	}
	return false
}

// Two `gwyh node` processes: a line typed into the first while it is alone
// is published to nobody, and it says so on stderr; once the second joins,
// lines typed into either are printed on the other's stdout (and not on
// their own), and nothing is reported lost.
func TestNodeProcessesExchangeLines(t *testing.T) {
	a := startNode(t, "a")
	aAddr := a.address()
	a.say("alone")
	testkit.Eventually(t, 10*time.Second, "a warns that its line reached no peer", func() bool {
		return a.has(`warning: "alone" was published to no peer`, true)
	})
	b := startNode(t, "b", "-join", aAddr)
	k := 0
	testkit.Eventually(t, 20*time.Second, "b prints a line of a's", func() bool {
		k++
		a.say(fmt.Sprintf("warm-%d", k)) // one line per poll while the meshes form
		return containsPrefix(b, "warm-")
	})
	for i := range 3 {
		a.say(fmt.Sprintf("from-a-%d", i))
		b.say(fmt.Sprintf("from-b-%d", i))
	}
	for i := range 3 {
		for _, c := range []struct {
			to   *proc
			line string
		}{{b, fmt.Sprintf("from-a-%d", i)}, {a, fmt.Sprintf("from-b-%d", i)}} {
			testkit.Eventually(t, 10*time.Second, c.to.name+" prints "+c.line, func() bool { return c.to.has(c.line, false) })
		}
	}
	if a.has("from-a-0", false) || b.has("from-b-0", false) {
		t.Error("a node printed its own line")
	}
	for _, p := range []*proc{a, b} {
		if p.has(`"from-`, true) {
			t.Errorf("%s reported a loss of a line published with a peer in the topic", p.name)
		}
	}
}

// A line over the largest message is reported on stderr and skipped; the
// node goes on reading stdin and publishing the lines after it.
func TestNodeSkipsTooLargeLine(t *testing.T) {
	a := startNode(t, "a")
	a.address()
	a.say(strings.Repeat("x", 1<<20+1)) // node.DefaultConfig's MaxMessageSize + 1
	a.say("after-the-big-one")
	testkit.Eventually(t, 10*time.Second, "a reports the big line and publishes the next", func() bool {
		return a.has("gwyh node: line 1 not published: 1048577 bytes, more than the largest message (1048576 bytes)", true) &&
			a.has(`"after-the-big-one" was published to no peer`, true)
	})
}

// Listening on 0.0.0.0, the node prints -join hints with addresses others
// can dial: this host's addresses, loopback last, never the wildcard.
func TestNodeJoinHintWildcard(t *testing.T) {
	a := startNode(t, "a", "-listen", "0.0.0.0:0")
	_, port, _ := strings.Cut(a.address(), ":")
	want := "@127.0.0.1:" + port
	testkit.Eventually(t, 10*time.Second, "a prints a -join hint with "+want, func() bool { return a.has(want, true) })
	a.mu.Lock()
	defer a.mu.Unlock()
	var hints []string
	for _, l := range a.errs {
		if strings.Contains(l, "-join ") && strings.Contains(l, "@") {
			hints = append(hints, l)
		}
	}
	for i, h := range hints {
		if strings.Contains(h, "0.0.0.0") {
			t.Errorf("hint names the wildcard: %s", h)
		}
		if strings.Contains(h, "@127.") && i != len(hints)-1 {
			t.Errorf("loopback is not the last hint:\n%s", strings.Join(hints, "\n"))
		}
	}
}

// Mistakes in the node's addresses fail at start with one clear line per
// problem, naming the flag: a malformed -join (a space for the @), a
// -listen without a port, a -listen address in use (not a config problem).
func TestNodeStartErrors(t *testing.T) {
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	id := "xngj5jc2vbda76sbfernum3ri6o7euunqft7sbpu6fhu7a3prnhq"
	tests := []struct {
		args []string
		want []string // stderr lines
	}{
		{[]string{"-join", id + " 127.0.0.1:7000"}, []string{
			`gwyh node: -join "` + id + ` 127.0.0.1:7000": host "` + id + ` 127.0.0.1" is neither an IP address nor a host name (to name the peer, write <peer-id>@host:port, with @ and no space)`}},
		{[]string{"-listen", "127.0.0.1", "-join", "abc def:7000,127.0.0.1:7000"}, []string{
			"gwyh node: -listen 127.0.0.1: missing port in address",
			`gwyh node: -join "abc def:7000": host "abc def" is neither an IP address nor a host name (to name the peer, write <peer-id>@host:port, with @ and no space)`}},
		{[]string{"-listen", busy.LocalAddr().String()}, []string{
			"gwyh node: -listen " + busy.LocalAddr().String() + ": address already in use"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stderr := runCommand(t, append([]string{"node", "-membership", "local"}, tc.args...)...)
			got := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || !slices.Equal(got, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, strings.Join(tc.want, "\n"))
			}
		})
	}
}

// runCommand runs gwyh with args in a new process, killed after 10 s, and
// returns its exit status and stderr.
func runCommand(t *testing.T, args ...string) (int, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "GWYH_TEST_AS_COMMAND=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("gwyh %s still ran after 10 s; stderr:\n%s", strings.Join(args, " "), errb.String())
	case errors.As(err, &ee):
		return ee.ExitCode(), errb.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, errb.String()
}

// At the default log level, a node told to join a peer under the wrong
// peer ID says so on stderr, naming both IDs.
func TestNodeWarnsWrongJoinID(t *testing.T) {
	a := startNode(t, "a")
	aAddr := a.address()
	aID := ""
	testkit.Eventually(t, 10*time.Second, "a prints its ID", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, l := range a.errs {
			if _, rest, ok := strings.Cut(l, "gwyh node: id "); ok {
				aID, _, _ = strings.Cut(rest, " ")
			}
		}
		return aID != ""
	})
	wrong := "xngj5jc2vbda76sbfernum3ri6o7euunqft7sbpu6fhu7a3prnhq"
	b := startNode(t, "b", "-join", wrong+"@"+aAddr)
	want := fmt.Sprintf("gwyh node: warning: seed %s is peer %s, not %s", aAddr, aID, wrong)
	testkit.Eventually(t, 10*time.Second, "b warns: "+want, func() bool { return b.has(want, true) })
}
