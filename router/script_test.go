package router

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt scripts")

// TestScripts runs the interaction scripts in testdata: blocks separated
// by blank lines, each of "#" comment lines, one command, a "----" line and
// the expected output. Peers are numbered from 1; the router under test is
// 0. The commands are in scriptCommands. Every command that does not print
// something else prints the router's output: sends (one line per peer, as
// env.summary), deliveries and events. Run with -rewrite to update the
// files; a block may then omit its "----" line.
//
// A malformed line (unknown command, wrong argument count, bad number)
// fails the script with the file and line.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, diffs, err := runScript(t, f, string(b), *rewrite)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
			if *rewrite {
				if err := os.WriteFile(f, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// scriptBlock is one command of a script with what it should print.
type scriptBlock struct {
	line    int // of the command, from 1
	comment []string
	cmd     string
	want    string
}

// parseScript splits text into blocks. A block without a "----" line is
// an error unless lenient (when rewriting).
func parseScript(file, text string, lenient bool) ([]scriptBlock, error) {
	var (
		blocks []scriptBlock
		b      *scriptBlock
		inWant bool
		want   []string
	)
	end := func(line int) error {
		if b == nil {
			return nil
		}
		if b.cmd == "" {
			return fmt.Errorf("%s:%d: comment without a command", file, line)
		}
		if !inWant && !lenient {
			return fmt.Errorf("%s:%d: %q has no \"----\" line", file, b.line, b.cmd)
		}
		b.want = strings.Join(want, "\n")
		blocks = append(blocks, *b)
		b, inWant, want = nil, false, nil
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		n := i + 1
		switch {
		case strings.TrimSpace(l) == "":
			if err := end(n); err != nil {
				return nil, err
			}
		case b == nil:
			b = &scriptBlock{}
			fallthrough
		case b.cmd == "":
			if strings.HasPrefix(l, "#") {
				b.comment = append(b.comment, l)
			} else {
				b.cmd, b.line = strings.TrimSpace(l), n
			}
		case !inWant && l == "----":
			inWant = true
		case !inWant:
			return nil, fmt.Errorf("%s:%d: a second command %q after %q (one command per block)", file, n, l, b.cmd)
		default:
			want = append(want, l)
		}
	}
	return blocks, end(len(lines))
}

// runScript runs a script on a fresh env. It returns the script with the
// output each command printed (what -rewrite writes), one message per
// command whose output differs (unless rewriting), and the error of a
// malformed script.
func runScript(t *testing.T, file, text string, rewriting bool) (string, []string, error) {
	blocks, err := parseScript(file, text, rewriting)
	if err != nil {
		return "", nil, err
	}
	e := newEnv(t, nil)
	var out strings.Builder
	var diffs []string
	for _, b := range blocks {
		got, err := e.do(b.cmd)
		if err != nil {
			return "", nil, fmt.Errorf("%s:%d: %w", file, b.line, err)
		}
		got = strings.TrimSpace(got)
		if !rewriting && got != strings.TrimSpace(b.want) {
			diffs = append(diffs, fmt.Sprintf("%s:%d: %s\ngot:\n%s\nwant:\n%s", file, b.line, b.cmd, got, b.want))
		}
		for _, c := range b.comment {
			fmt.Fprintln(&out, c)
		}
		fmt.Fprintf(&out, "%s\n----\n%s\n\n", b.cmd, got)
	}
	return strings.TrimSpace(out.String()) + "\n", diffs, nil
}

// scriptCommand is one script command: its usage, its argument count
// (max -1: no limit) and what it does. run returns what the command prints,
// "" for the router's output.
type scriptCommand struct {
	usage    string
	min, max int
	run      func(e *env, a *scriptArgs) string
}

// scriptCommands is the command list; scripts name peers by index.
var scriptCommands = map[string]scriptCommand{
	"new":       {"new [Field=value...]: a fresh router, Params or Config fields set (scorer=fake: a fakeScorer)", 0, -1, (*env).cmdNew},
	"add-peers": {"add-peers A[-B] in|out|direct [topic,...]: peers connect (and subscribe)", 2, 3, (*env).cmdAddPeers},
	"join":      {"join T: the router joins T", 1, 1, func(e *env, a *scriptArgs) string { return errText(e.r.Join(e.now, a.f[0])) }},
	"leave":     {"leave T: the router leaves T", 1, 1, func(e *env, a *scriptArgs) string { return errText(e.r.Leave(e.now, a.f[0])) }},
	"publish": {"publish T SEQ: the router publishes message SEQ", 2, 2, func(e *env, a *scriptArgs) string {
		return errText(e.r.Publish(e.now, a.f[0], msg(a.f[0], uint64(a.num(1)), 8).Data))
	}},
	"from": {"from P KIND ARGS [+ KIND ARGS...]: peer P sends one RPC (kinds in scriptParts)", 2, -1, (*env).cmdFrom},
	"remove": {"remove P: peer P disconnects", 1, 1, func(e *env, a *scriptArgs) string {
		e.r.RemovePeer(e.now, pid(a.num(0)))
		return ""
	}},
	"tick": {"tick DURATION: time passes, Tick runs", 1, 1, func(e *env, a *scriptArgs) string {
		e.now = e.now.Add(a.dur(0))
		e.r.Tick(e.now)
		return ""
	}},
	"wait": {"wait DURATION: time passes without Tick", 1, 1, func(e *env, a *scriptArgs) string {
		e.now = e.now.Add(a.dur(0))
		return "ok"
	}},
	"heartbeat": {"heartbeat [N]: N (1) heartbeats; prints every output that is not empty", 0, 1, (*env).cmdHeartbeat},
	"score": {"score P V: the fakeScorer scores peer P at V", 2, 2, func(e *env, a *scriptArgs) string {
		if e.sc == nil {
			a.fail("no fakeScorer: start with \"new scorer=fake\"")
			return ""
		}
		e.sc.scores[pid(a.num(0))] = a.float(1)
		return "ok"
	}},
	"mesh":      {"mesh T: print T's mesh", 1, 1, func(e *env, a *scriptArgs) string { return fmt.Sprint(e.meshOf(a.f[0])) }},
	"fanout":    {"fanout T: print T's fan-out", 1, 1, func(e *env, a *scriptArgs) string { return fmt.Sprint(e.indices(e.r.Fanout(a.f[0]))) }},
	"topics":    {"topics P: print peer P's topics", 1, 1, func(e *env, a *scriptArgs) string { return fmt.Sprint(e.r.PeerTopics(pid(a.num(0)))) }},
	"drops":     {"drops: print the non-zero drop counters", 0, 0, (*env).cmdDrops},
	"penalties": {"penalties: print the fakeScorer's P7 penalties by peer", 0, 0, (*env).cmdPenalties},
}

// scriptArgs are a command's arguments; the first malformed one is kept
// in err, which fails the script (what the command did meanwhile does not
// matter then).
type scriptArgs struct {
	f   []string
	err error
}

func (a *scriptArgs) fail(format string, v ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, v...)
	}
}

func (a *scriptArgs) num(i int) int { return a.atoi(a.f[i]) }

func (a *scriptArgs) atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		a.fail("bad number %q", s)
	}
	return n
}

func (a *scriptArgs) float(i int) float64 {
	x, err := strconv.ParseFloat(a.f[i], 64)
	if err != nil {
		a.fail("bad number %q", a.f[i])
	}
	return x
}

func (a *scriptArgs) dur(i int) time.Duration {
	d, err := time.ParseDuration(a.f[i])
	if err != nil {
		a.fail("bad duration %q", a.f[i])
	}
	return d
}

// ids returns the message ids of the sequence numbers from argument i on.
func (a *scriptArgs) ids(i int) []string {
	var l []string
	for k := i; k < len(a.f); k++ {
		l = append(l, msgID(uint64(a.num(k))))
	}
	return l
}

// do runs one command line and returns what it printed.
func (e *env) do(line string) (string, error) {
	f := strings.Fields(line)
	c, ok := scriptCommands[f[0]]
	if !ok {
		return "", fmt.Errorf("unknown command %q", f[0])
	}
	a := &scriptArgs{f: f[1:]}
	if n := len(a.f); n < c.min || c.max >= 0 && n > c.max {
		return "", fmt.Errorf("%s: %d arguments; usage: %s", f[0], n, c.usage)
	}
	out := c.run(e, a)
	if a.err != nil {
		return "", fmt.Errorf("%s: %w", f[0], a.err)
	}
	if out == "" {
		e.ready()
		out = e.printOutput()
	}
	return out, nil
}

// errText prints err, or "" (the router's output) when nil.
func errText(v ...any) string {
	if err, _ := v[len(v)-1].(error); err != nil {
		return err.Error()
	}
	return ""
}

func (e *env) cmdNew(a *scriptArgs) string {
	var sets []func(*Config)
	for _, kv := range a.f {
		k, v, _ := strings.Cut(kv, "=")
		if k == "scorer" && v == "fake" {
			sets = append(sets, withFakeScorer)
			continue
		}
		sets = append(sets, func(c *Config) { setField(c, k, v, a) })
	}
	mod := func(c *Config) {
		for _, set := range sets {
			set(c)
		}
	}
	if mod(&Config{}); a.err == nil { // check the fields before New sees them
		*e = *newEnv(e.t, mod)
	}
	return "ok"
}

// setField sets c.Params' or c's field name from the text v.
func setField(c *Config, name, v string, a *scriptArgs) {
	f := reflect.ValueOf(&c.Params).Elem().FieldByName(name)
	if !f.IsValid() {
		f = reflect.ValueOf(c).Elem().FieldByName(name)
	}
	var err error
	switch {
	case !f.IsValid() || !f.CanSet():
		a.fail("no field %q in Params or Config", name)
		return
	case f.Type() == reflect.TypeFor[time.Duration]():
		var d time.Duration
		d, err = time.ParseDuration(v)
		f.SetInt(int64(d))
	case f.Kind() == reflect.Int:
		var n int
		n, err = strconv.Atoi(v)
		f.SetInt(int64(n))
	case f.Kind() == reflect.Float64:
		var x float64
		x, err = strconv.ParseFloat(v, 64)
		f.SetFloat(x)
	case f.Kind() == reflect.Bool:
		var b bool
		b, err = strconv.ParseBool(v)
		f.SetBool(b)
	default:
		a.fail("field %s of type %v cannot be set from a script", name, f.Type())
	}
	if err != nil {
		a.fail("bad value %q for %s", v, name)
	}
}

func (e *env) cmdAddPeers(a *scriptArgs) string {
	lo, hi, isRange := strings.Cut(a.f[0], "-")
	if !isRange {
		hi = lo
	}
	from, to := a.atoi(lo), a.atoi(hi)
	var opts PeerOptions
	switch a.f[1] {
	case "in":
	case "out":
		opts.Direction = Outbound
	case "direct":
		opts.Direct = true
	default:
		a.fail("direction %q is not in, out or direct", a.f[1])
	}
	var topics []string
	if len(a.f) > 2 {
		topics = strings.Split(a.f[2], ",")
	}
	if a.err == nil {
		e.addPeersWith(from, to, opts, topics...)
	}
	return "ok"
}

// scriptParts builds the parts of a "from" RPC: KIND and its argument
// count.
var scriptParts = map[string]struct {
	usage    string
	min, max int
	add      func(m *rpc.RPC, a *scriptArgs)
}{
	"sub": {"sub T", 1, 1, func(m *rpc.RPC, a *scriptArgs) {
		m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Subscribe: true, Topic: a.f[0]})
	}},
	"unsub": {"unsub T", 1, 1, func(m *rpc.RPC, a *scriptArgs) { m.Subscriptions = append(m.Subscriptions, rpc.SubOpts{Topic: a.f[0]}) }},
	"graft": {"graft T", 1, 1, func(m *rpc.RPC, a *scriptArgs) { m.Graft = append(m.Graft, rpc.Graft{Topic: a.f[0]}) }},
	"prune": {"prune T [BACKOFF] [px=P,P...] (P a peer index, or bad: a malformed id)", 1, 3, addPrune},
	"msg": {"msg T SEQ [SIZE]", 2, 3, func(m *rpc.RPC, a *scriptArgs) {
		size := 8
		if len(a.f) > 2 {
			size = a.num(2)
		}
		m.Publish = append(m.Publish, msg(a.f[0], uint64(a.num(1)), size))
	}},
	"ihave":     {"ihave T SEQ...", 2, -1, func(m *rpc.RPC, a *scriptArgs) { m.IHave = append(m.IHave, ihave(a.f[0], a.ids(1)...)) }},
	"iwant":     {"iwant SEQ...", 1, -1, func(m *rpc.RPC, a *scriptArgs) { m.IWant = append(m.IWant, rpc.IWant{IDs: a.ids(0)}) }},
	"idontwant": {"idontwant SEQ...", 1, -1, func(m *rpc.RPC, a *scriptArgs) { m.IDontWant = append(m.IDontWant, rpc.IDontWant{IDs: a.ids(0)}) }},
}

func addPrune(m *rpc.RPC, a *scriptArgs) {
	pr := rpc.Prune{Topic: a.f[0]}
	for i := 1; i < len(a.f); i++ {
		list, ok := strings.CutPrefix(a.f[i], "px=")
		if !ok {
			pr.Backoff = uint64(a.num(i))
			continue
		}
		for _, s := range strings.Split(list, ",") {
			if s == "bad" {
				pr.Peers = append(pr.Peers, rpc.PeerInfo{ID: []byte("short")})
				continue
			}
			id := pid(a.atoi(s))
			pr.Peers = append(pr.Peers, rpc.PeerInfo{ID: id.PublicKey(), Record: fmt.Appendf(nil, "rec-%s", s)})
		}
	}
	m.Prune = append(m.Prune, pr)
}

func (e *env) cmdFrom(a *scriptArgs) string {
	from := a.num(0)
	m := &rpc.RPC{}
	for _, part := range splitParts(a.f[1:]) {
		if len(part) == 0 {
			a.fail("an empty part between \"+\"")
			continue
		}
		k, ok := scriptParts[part[0]]
		pa := &scriptArgs{f: part[1:]}
		switch n := len(pa.f); {
		case !ok:
			a.fail("unknown message kind %q", part[0])
		case n < k.min || k.max >= 0 && n > k.max:
			a.fail("%s: %d arguments; usage: %s", part[0], n, k.usage)
		default:
			k.add(m, pa)
			if pa.err != nil {
				a.fail("%s: %w", part[0], pa.err)
			}
		}
	}
	if a.err == nil {
		e.r.HandleRPC(e.now, pid(from), m)
	}
	return ""
}

// splitParts splits the fields of a "from" command at "+".
func splitParts(f []string) [][]string {
	var parts [][]string
	for len(f) > 0 {
		i := slices.Index(f, "+")
		if i < 0 {
			i = len(f)
		}
		parts = append(parts, f[:i])
		f = f[min(i+1, len(f)):]
	}
	return parts
}

func (e *env) cmdHeartbeat(a *scriptArgs) string {
	n := 1
	if len(a.f) > 0 {
		n = a.num(0)
	}
	var l []string
	for i := 0; i < n && a.err == nil; i++ {
		e.heartbeat()
		if s := e.printOutput(); s != "(nothing)" {
			l = append(l, s)
		}
	}
	if len(l) == 0 {
		return "(nothing)"
	}
	return strings.Join(l, "\n")
}

func (e *env) cmdDrops(*scriptArgs) string {
	var l []string
	for c, n := range e.r.Stats().Drops {
		if n > 0 {
			l = append(l, fmt.Sprintf("%v: %d", DropCause(c), n))
		}
	}
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, "\n")
}

func (e *env) cmdPenalties(a *scriptArgs) string {
	if e.sc == nil {
		a.fail("no fakeScorer: start with \"new scorer=fake\"")
		return ""
	}
	var l []string
	for i := 1; i < 1000; i++ {
		if n := e.sc.penalties[pid(i)]; n != 0 {
			l = append(l, fmt.Sprintf("[%d]: %d", i, n))
		}
	}
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, "\n")
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
		if len(ev.PX) > 0 {
			var px []string
			for _, q := range ev.PX {
				px = append(px, fmt.Sprintf("%v@%s", e.indices([]peer.ID{q.ID}), q.Record))
			}
			s += " px=" + strings.Join(px, ",")
		}
		l = append(l, s)
	}
	if len(l) == 0 {
		return "(nothing)"
	}
	return strings.Join(l, "\n")
}
