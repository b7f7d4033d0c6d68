package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
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
