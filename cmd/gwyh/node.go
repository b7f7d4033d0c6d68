package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/node/metrics"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/topic"
)

func init() {
	commands["node"] = command{"run a real node: stdin lines are published, deliveries printed", runNode}
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

type nodeFlags struct {
	listen, topic, identity, keyFile, sign, logLevel, metrics string
	advertise, zone, membership                               string
	join, tags                                                listFlag
	jsonOut, quietMembers                                     bool
}

func parseNodeFlags(args []string, stderr io.Writer) (nodeFlags, int) {
	f := nodeFlags{}
	fs := flag.NewFlagSet("gwyh node", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.listen, "listen", "0.0.0.0:7946", "UDP address to listen on (port 0: any free port)")
	fs.Var(&f.join, "join", "peer to join: host:port or <peer-id>@host:port (repeatable, or comma-separated)")
	fs.StringVar(&f.topic, "topic", "chat", "topic to join")
	fs.StringVar(&f.identity, "identity", "", "identity file (PEM, created with mode 0600 if absent); empty: a new identity each run")
	fs.StringVar(&f.keyFile, "network-key", "", "file holding the 32-byte cluster key (raw, or 64 hex digits); every node of the cluster needs the same")
	fs.StringVar(&f.sign, "sign", "strict", "signature policy: strict or none (every node of the cluster needs the same)")
	fs.BoolVar(&f.jsonOut, "json", false, "print deliveries as JSON lines {id,from,received_from,topic,data}")
	fs.StringVar(&f.logLevel, "log", "warn", "log level on stderr: debug, info, warn or error")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics over HTTP on this address (e.g. 127.0.0.1:9100) at /metrics")
	fs.StringVar(&f.advertise, "advertise", "", "host:port other members dial to reach this node (default: the listen address, or an interface address when listening on 0.0.0.0)")
	fs.StringVar(&f.zone, "zone", "", "this node's zone, e.g. eu-west-1a, shown to every member")
	fs.Var(&f.tags, "tag", "application tag key=value shown to every member (repeatable, or comma-separated)")
	fs.StringVar(&f.membership, "membership", "lan", "membership timing preset: lan, wan or local (one host)")
	fs.BoolVar(&f.quietMembers, "quiet-members", false, "do not print membership changes on stderr")
	if code := parseFlags(fs, args, `usage: gwyh node [flags]

Runs one gwyh node: it listens on -listen, joins the cluster through the
members given with -join (any member will do; the node then learns every
member and connects to several), and joins -topic. Every line read from
stdin is published to the topic (a line that reached no peer, because
nobody else is in the topic yet, or that some peers' full send queues
refused, is reported on stderr); every message delivered from the topic is
printed on stdout as "<author>: <text>". Membership changes (a member
joined, was suspected, died, left) are printed on stderr. The node runs
until interrupted (Ctrl-C), also after stdin ends, and then leaves the
cluster gracefully. Its peer ID and address are printed on stderr at
start; others can join it with -join <peer-id>@<address>.

example, two terminals:
  gwyh node -listen 127.0.0.1:7001 -identity a.key
  gwyh node -listen 127.0.0.1:7002 -join 127.0.0.1:7001

flags:
`, stderr); code >= 0 {
		return f, code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "gwyh node: unexpected argument %q (run 'gwyh node -h')\n", fs.Arg(0))
		return f, 2
	case f.sign != "strict" && f.sign != "none":
		fmt.Fprintf(stderr, "gwyh node: -sign %q: want strict or none\n", f.sign)
		return f, 2
	case f.membership != "lan" && f.membership != "wan" && f.membership != "local":
		fmt.Fprintf(stderr, "gwyh node: -membership %q: want lan, wan or local\n", f.membership)
		return f, 2
	}
	for _, kv := range f.tags {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			fmt.Fprintf(stderr, "gwyh node: -tag %q: want key=value\n", kv)
			return f, 2
		}
	}
	if err := node.CheckTopic(f.topic); err != nil {
		fmt.Fprintf(stderr, "gwyh node: -topic: %v\n", err)
		return f, 2
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		fmt.Fprintf(stderr, "gwyh node: -log: %v\n", err)
		return f, 2
	}
	return f, -1
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// readNetworkKey reads a 32-byte key file: raw bytes or 64 hex digits.
func readNetworkKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(string(b)); len(t) == 64 {
		if k, err := hex.DecodeString(t); err == nil {
			return k, nil
		}
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("%s: want 32 raw bytes or 64 hex digits, found %d bytes", path, len(b))
	}
	return b, nil
}

func runNode(args []string, stdout, stderr io.Writer) int {
	f, code := parseNodeFlags(args, stderr)
	if code >= 0 {
		return code
	}
	cfg, err := f.config(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh node: %v\n", err)
		return 1
	}
	n, err := node.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh node: %v\n", err)
		return 1
	}
	defer n.Close()
	t, err := topic.Join(n, f.topic, topic.String())
	if err != nil {
		fmt.Fprintf(stderr, "gwyh node: %v\n", err)
		return 1
	}
	sub, err := t.Subscribe()
	if err != nil {
		fmt.Fprintf(stderr, "gwyh node: %v\n", err)
		return 1
	}
	self := n.Addr().String()
	for _, m := range n.Members() {
		if m.ID == n.ID() {
			self = m.Addr // the advertised address, usable by others
		}
	}
	fmt.Fprintf(stderr, "gwyh node: id %s listening on %s, topic %q\n", n.ID(), n.Addr(), f.topic)
	fmt.Fprintf(stderr, "gwyh node: others can join with -join %s@%s\n", n.ID(), self)
	if !f.quietMembers {
		w, err := n.WatchMembers(1024)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh node: %v\n", err)
			return 1
		}
		defer w.Close()
		go printMembers(w, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.metrics != "" {
		srv, err := serveMetrics(f.metrics, n)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh node: -metrics: %v\n", err)
			return 1
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "gwyh node: metrics on http://%s/metrics\n", srv.Addr)
	}
	go publishLines(ctx, os.Stdin, t, stderr)
	printDeliveries(ctx, sub, n, stdout, f.jsonOut)
	fmt.Fprintln(stderr, "gwyh node: leaving")
	return 0
}

// serveMetrics serves n's metrics at http://addr/metrics until closed.
func serveMetrics(addr string, n *node.Node) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(n))
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

// config builds the node's Config from the flags.
func (f nodeFlags) config(stderr io.Writer) (node.Config, error) {
	cfg := node.DefaultConfig()
	cfg.Listen = f.listen
	cfg.IdentityFile = f.identity
	cfg.Bootstrap = f.join
	cfg.Advertise, cfg.Zone = f.advertise, f.zone
	for _, kv := range f.tags {
		k, v, _ := strings.Cut(kv, "=")
		if cfg.Tags == nil {
			cfg.Tags = map[string]string{}
		}
		cfg.Tags[k] = v
	}
	switch f.membership {
	case "wan":
		cfg.Membership = membership.WANParams()
	case "local":
		cfg.Membership = membership.LocalParams()
	}
	if f.sign == "none" {
		cfg.SignaturePolicy = router.StrictNoSign
	}
	if f.keyFile != "" {
		k, err := readNetworkKey(f.keyFile)
		if err != nil {
			return cfg, fmt.Errorf("-network-key: %w", err)
		}
		cfg.NetworkKey = k
	}
	lvl, _ := parseLevel(f.logLevel)
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	return cfg, nil
}

// publishLines publishes each stdin line until stdin ends or ctx ends.
func publishLines(ctx context.Context, in io.Reader, t *topic.Topic[string], stderr io.Writer) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		err := t.Publish(ctx, line)
		switch {
		case err == nil:
		case errors.Is(err, topic.ErrNoPeers):
			fmt.Fprintf(stderr, "gwyh node: warning: %q was published to no peer: nobody else is in topic %q yet "+
				"(peers that join within a few heartbeats may still get it by gossip)\n", short(line), t.Name())
		case errors.Is(err, topic.ErrPartial):
			fmt.Fprintf(stderr, "gwyh node: warning: %q: %v\n", short(line), err)
		default:
			fmt.Fprintf(stderr, "gwyh node: publish %q: %v\n", short(line), err)
		}
	}
}

// short returns line, cut to 40 bytes with "..." for messages about it.
func short(line string) string {
	if len(line) <= 40 {
		return line
	}
	return line[:40] + "..."
}

// printMembers prints each membership change on w until the watch ends.
func printMembers(w *node.MemberWatch, out io.Writer) {
	for e := range w.C() {
		m := e.Member
		extra := ""
		if m.Zone != "" {
			extra = " zone " + m.Zone
		}
		fmt.Fprintf(out, "gwyh node: member %s %s at %s (incarnation %d%s)\n", m.ID.Short(), e.Kind, m.Addr, m.Incarnation, extra)
	}
}

// printDeliveries prints every delivered message until ctx ends.
func printDeliveries(ctx context.Context, sub *topic.Subscription[string], n *node.Node, w io.Writer, asJSON bool) {
	enc := json.NewEncoder(w)
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == n.ID() {
			continue // our own line, already on the terminal
		}
		if asJSON {
			_ = enc.Encode(map[string]string{
				"id": hex.EncodeToString([]byte(m.ID)), "from": m.From.String(),
				"received_from": m.ReceivedFrom.String(), "topic": m.Topic, "data": m.Value,
			})
			continue
		}
		author := m.From.Short()
		if m.From.IsZero() {
			author = "anon"
		}
		fmt.Fprintf(w, "%s: %s\n", author, m.Value)
	}
}
