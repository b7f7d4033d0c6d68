package router

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt scripts")

// TestScripts runs the interaction scripts in testdata: blocks of one
// command, a "----" line and the expected output, separated by blank
// lines. Peers are numbered from 1; the router under test is 0. Commands:
//
//	add-peers A[-B] in|out [topic,...]   peers connect (and subscribe)
//	join T / leave T                      the router joins or leaves T
//	publish T SEQ                         the router publishes message SEQ
//	from P sub|unsub T                    peer P (un)subscribes
//	from P graft T / from P prune T [backoff]
//	from P msg T SEQ [size]               peer P sends message SEQ
//	from P ihave T SEQ...                 peer P advertises messages
//	from P iwant SEQ...                   peer P asks for messages
//	from P idontwant SEQ...
//	remove P                              peer P disconnects
//	tick DURATION                         time passes, Tick runs
//	mesh T / fanout T                     print the mesh or fan-out
//
// Every command prints the router's sends (one line per peer, as
// env.summary) and events. Run with -rewrite to update the files.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runScript(t, f) })
	}
}

func runScript(t *testing.T, file string) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil)
	var out strings.Builder
	for _, block := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
		cmd, want, _ := strings.Cut(block, "\n----\n")
		cmd = strings.TrimSuffix(cmd, "\n----")
		got := e.do(strings.TrimSpace(cmd))
		if !*rewrite && strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("%s\n----\ngot:\n%s\nwant:\n%s", cmd, got, want)
		}
		fmt.Fprintf(&out, "%s\n----\n%s\n\n", cmd, strings.TrimSpace(got))
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(strings.TrimSpace(out.String())+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// do runs one script command and returns what it printed.
func (e *env) do(line string) string {
	var comment []string
	for strings.HasPrefix(line, "#") {
		c, rest, _ := strings.Cut(line, "\n")
		comment = append(comment, c)
		line = strings.TrimSpace(rest)
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			e.t.Fatalf("%q: %v", line, err)
		}
		return n
	}
	ids := func(l []string) []string {
		var r []string
		for _, s := range l {
			r = append(r, msgID(uint64(num(s))))
		}
		return r
	}
	switch f[0] {
	case "add-peers":
		lo, hi, _ := strings.Cut(f[1], "-")
		if hi == "" {
			hi = lo
		}
		dir := Inbound
		if f[2] == "out" {
			dir = Outbound
		}
		var topics []string
		if len(f) > 3 {
			topics = strings.Split(f[3], ",")
		}
		e.addPeers(num(lo), num(hi), dir, topics...)
		return "ok"
	case "join":
		e.join(f[1])
	case "leave":
		if err := e.r.Leave(e.now, f[1]); err != nil {
			return err.Error()
		}
		e.ready()
	case "publish":
		m := msg(f[1], uint64(num(f[2])), 8)
		if _, err := e.r.Publish(e.now, f[1], m.Data); err != nil {
			return err.Error()
		}
		e.ready()
	case "remove":
		e.r.RemovePeer(e.now, pid(num(f[1])))
		e.ready()
	case "tick":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			e.t.Fatal(err)
		}
		e.tick(d)
	case "mesh":
		return fmt.Sprint(e.meshOf(f[1]))
	case "fanout":
		return fmt.Sprint(e.indices(e.r.Fanout(f[1])))
	case "from":
		e.rpcFrom(num(f[1]), e.scriptRPC(f[2], f[3:], num, ids))
	default:
		e.t.Fatalf("unknown command %q", line)
	}
	return e.printOutput()
}

// scriptRPC builds the RPC of a "from P ..." command.
func (e *env) scriptRPC(kind string, args []string, num func(string) int, ids func([]string) []string) *rpc.RPC {
	switch kind {
	case "sub", "unsub":
		return &rpc.RPC{Subscriptions: []rpc.SubOpts{{Subscribe: kind == "sub", Topic: args[0]}}}
	case "graft":
		return &rpc.RPC{Graft: []rpc.Graft{{Topic: args[0]}}}
	case "prune":
		pr := rpc.Prune{Topic: args[0]}
		if len(args) > 1 {
			pr.Backoff = uint64(num(args[1]))
		}
		return &rpc.RPC{Prune: []rpc.Prune{pr}}
	case "msg":
		size := 8
		if len(args) > 2 {
			size = num(args[2])
		}
		return pub(msg(args[0], uint64(num(args[1])), size))
	case "ihave":
		return &rpc.RPC{IHave: []rpc.IHave{{Topic: args[0], IDs: ids(args[1:])}}}
	case "iwant":
		return &rpc.RPC{IWant: []rpc.IWant{{IDs: ids(args)}}}
	case "idontwant":
		return &rpc.RPC{IDontWant: []rpc.IDontWant{{IDs: ids(args)}}}
	}
	e.t.Fatalf("unknown message kind %q", kind)
	return nil
}

// printOutput prints the last output's sends, deliveries and events.
func (e *env) printOutput() string {
	var l []string
	if s := e.summary(); s != "" {
		l = append(l, s)
	}
	for _, d := range e.out.Deliveries {
		l = append(l, fmt.Sprintf("deliver %d local=%v", d.Msg.Data[7], d.Local))
	}
	for _, ev := range e.out.Events {
		s := fmt.Sprintf("event %v %v %s", ev.Kind, e.indices([]peer.ID{ev.Peer}), ev.Topic)
		if ev.Cause != DropNone {
			s += " " + ev.Cause.String()
		}
		l = append(l, s)
	}
	if len(l) == 0 {
		return "(nothing)"
	}
	return strings.Join(l, "\n")
}
