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
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/mesh"
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
	listen, topic, identity, sign, logLevel, metrics string
	advertise, zone, membership                      string
	join, tags, keyFiles                             listFlag
	jsonOut, quietMembers                            bool
	strategy                                         mesh.Strategy
	remoteMesh                                       int
	randomShare                                      shareFlag
}

// shareFlag is a fraction flag whose default prints short ("0.333").
type shareFlag float64

func (s *shareFlag) String() string { return strconv.FormatFloat(float64(*s), 'g', 3, 64) }
func (s *shareFlag) Set(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return errors.New("not a number")
	}
	*s = shareFlag(f)
	return nil
}

func parseNodeFlags(args []string, stderr io.Writer) (nodeFlags, int) {
	gossip := router.DefaultParams()
	f := nodeFlags{strategy: gossip.Strategy, remoteMesh: gossip.RemoteMeshPeers, randomShare: shareFlag(gossip.RandomMeshShare)}
	fs := flag.NewFlagSet("gwyh node", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.listen, "listen", "0.0.0.0:7946", "UDP address to listen on (port 0: any free port)")
	fs.Var(&f.join, "join", "peer to join: host:port or <peer-id>@host:port (repeatable, or comma-separated)")
	fs.StringVar(&f.topic, "topic", "chat", "topic to join")
	fs.StringVar(&f.identity, "identity", "", "identity file (PEM, created with mode 0600 if absent); empty: a new identity each run")
	fs.Var(&f.keyFiles, "network-key", "file holding the cluster's network key (64 hex digits, as 'gwyh keygen' writes; or 32 raw bytes); every node of the cluster needs it. Several keys (repeat the flag, or one key per line of the file) make a keyring: the node handshakes with the first and accepts all, for key rotation; SIGHUP rereads the files")
	fs.StringVar(&f.sign, "sign", "strict", "signature policy: strict or none (every node of the cluster needs the same)")
	fs.BoolVar(&f.jsonOut, "json", false, "print deliveries as JSON lines {id,from,received_from,topic,data}")
	fs.StringVar(&f.logLevel, "log", "warn", "log level on stderr: debug, info, warn or error")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics over HTTP on this address (e.g. 127.0.0.1:9100) at /metrics")
	fs.StringVar(&f.advertise, "advertise", "", "host:port other members dial to reach this node (default: the listen address, or an interface address when listening on 0.0.0.0)")
	fs.StringVar(&f.zone, "zone", "", "this node's zone, e.g. eu-west-1a, shown to every member and compared with theirs by -strategy preferlocal and hubandspoke")
	fs.TextVar(&f.strategy, "strategy", f.strategy, "how the node prefers peers for its meshes, gossip and connections, by `name`: uniform (at random), "+
		"preferlocal (its own -zone first, keeping -remote-mesh-peers in other zones), hubandspoke (one mesh peer in each other zone, the rest in its own), "+
		"or preferfast (lowest round-trip time first, keeping -random-mesh-share at random); preferlocal and hubandspoke need -zone")
	fs.IntVar(&f.remoteMesh, "remote-mesh-peers", f.remoteMesh, "preferlocal: the `number` of mesh peers kept in other zones, at least 1, so that a topic never splits along zone lines")
	fs.Var(&f.randomShare, "random-mesh-share", "preferfast: the `fraction` of mesh peers chosen at random rather than by round-trip time, 0..1, so that peers that answer fastest cannot take a whole mesh")
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
start; others can join it with -join <peer-id>@<address>. With
-network-key, only nodes holding an accepted key can join; the keys' IDs
are printed at start, and SIGHUP rereads the key files, so that the key
can be rotated without a restart: add the new key as a second line of
every node's key file and send SIGHUP to each, then make it the first
line everywhere (SIGHUP), then remove the old line (SIGHUP). Use
'gwyh keygen' to make keys and identity files. A -join peer
that cannot be reached is reported on stderr with the likely cause (no
answer: nothing listening, or a different -network-key; a host that does
not resolve; another peer than the ID given). A line longer than the
largest message (1 MiB) is reported and skipped. With -zone, every member
learns the node's zone (an availability zone, a region: any label), and
-strategy can prefer peers by zone or by round-trip time (see the README's
"Choosing a strategy").

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
	case signProblem(f.sign) != "":
		fmt.Fprintf(stderr, "gwyh node: %s\n", signProblem(f.sign))
		return f, 2
	case f.membership != "lan" && f.membership != "wan" && f.membership != "local":
		fmt.Fprintf(stderr, "gwyh node: -membership %q: want lan, wan or local\n", f.membership)
		return f, 2
	case (f.strategy == mesh.PreferLocal || f.strategy == mesh.HubAndSpoke) && f.zone == "":
		fmt.Fprintf(stderr, "gwyh node: -strategy %v places peers by zone: give this node's zone with -zone (e.g. -zone eu-west-1a)\n", f.strategy)
		return f, 2
	case f.remoteMesh < 1:
		fmt.Fprintf(stderr, "gwyh node: -remote-mesh-peers %d: want at least 1\n", f.remoteMesh)
		return f, 2
	case !(f.randomShare >= 0 && f.randomShare <= 1):
		fmt.Fprintf(stderr, "gwyh node: -random-mesh-share %v: want a fraction from 0 to 1\n", float64(f.randomShare))
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
		printNodeError(stderr, err, f)
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
	self := ""
	for _, m := range n.Members() {
		if m.ID == n.ID() {
			self = m.Addr // the advertised address, usable by others
		}
	}
	fmt.Fprintf(stderr, "gwyh node: id %s listening on %s, topic %q\n", n.ID(), n.Addr(), f.topic)
	printJoinHint(stderr, n.ID().String(), joinAddrs(n.Addr(), self, f.advertise != "", hostAddrs()))
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
	if len(f.keyFiles) > 0 {
		fmt.Fprintf(stderr, "gwyh node: network keys: %s\n", describeKeys(cfg.NetworkKeys))
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go reloadKeysOnHUP(ctx, hup, f.keyFiles, n, stderr)
	}
	if f.metrics != "" {
		srv, err := serveMetrics(f.metrics, n)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh node: -metrics: %v\n", err)
			return 1
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "gwyh node: metrics on http://%s/metrics\n", srv.Addr)
	}
	go publishLines(ctx, os.Stdin, t, cfg.MaxMessageSize, stderr)
	printDeliveries(ctx, sub, n, stdout, f.jsonOut)
	fmt.Fprintln(stderr, "gwyh node: leaving")
	return 0
}

// configFlags names the flag that sets each node.Config field the command
// sets from a flag.
var configFlags = map[string]string{
	"Listen": "-listen", "Advertise": "-advertise", "IdentityFile": "-identity",
	"NetworkKey": "-network-key", "NetworkKeys": "-network-key", "Zone": "-zone", "Tags": "-tag",
}

// printNodeError prints what node.New reported, one line per problem,
// each naming the flag at fault: "gwyh node: -join "a b:1": host ...".
func printNodeError(w io.Writer, err error, f nodeFlags) {
	var ce *node.ConfigError
	var errno syscall.Errno
	switch {
	case errors.As(err, &ce) && error(ce) == err:
		name, _, _ := strings.Cut(ce.Field, "[")
		if fl, ok := configFlags[name]; ok {
			name = fl
		} else if name == "Bootstrap" {
			name = "-join"
		}
		switch {
		case strings.ContainsAny(ce.Value, " \t"):
			name += " " + strconv.Quote(ce.Value)
		case ce.Value != "":
			name += " " + ce.Value
		}
		fmt.Fprintf(w, "gwyh node: %s: %s\n", name, ce.Problem)
	case errors.Is(err, node.ErrListen) && errors.As(err, &errno):
		fmt.Fprintf(w, "gwyh node: -listen %s: %v\n", f.listen, errno)
	default:
		if j, ok := err.(interface{ Unwrap() []error }); ok && !errors.Is(err, node.ErrListen) {
			for _, e := range j.Unwrap() {
				printNodeError(w, e, f)
			}
			return
		}
		fmt.Fprintf(w, "gwyh node: %v\n", err)
	}
}

// printJoinHint prints how others join this node: the -join value for
// each address in addrs (the first one is what members dial).
func printJoinHint(w io.Writer, id string, addrs []string) {
	if len(addrs) == 1 {
		fmt.Fprintf(w, "gwyh node: others can join with -join %s@%s\n", id, addrs[0])
		return
	}
	fmt.Fprintln(w, "gwyh node: others can join with -join and one of this host's addresses that they can reach:")
	for _, a := range addrs {
		note := ""
		if ap, err := netip.ParseAddrPort(a); err == nil && ap.Addr().IsLoopback() {
			note = "   (from this host only)"
		}
		fmt.Fprintf(w, "  -join %s@%s%s\n", id, a, note)
	}
}

// joinAddrs lists the addresses others can give to -join: the advertised
// one (explicit, or the bound address when it is a specific IP) alone;
// for a wildcard listen address, the advertised one first, then every
// other usable unicast address of this host (IPv4 only for 0.0.0.0),
// loopback last. Never the wildcard itself, which nobody can dial.
func joinAddrs(bound netip.AddrPort, advertised string, explicit bool, host []netip.Addr) []string {
	if advertised == "" {
		advertised = bound.String()
	}
	if explicit || !bound.Addr().IsUnspecified() {
		return []string{advertised}
	}
	out := []string{advertised}
	var loop []string
	for _, ip := range host {
		if bound.Addr().Is4() && !ip.Is4() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
			continue
		}
		a := netip.AddrPortFrom(ip, bound.Port()).String()
		switch {
		case a == advertised:
		case ip.IsLoopback():
			loop = append(loop, a)
		default:
			out = append(out, a)
		}
	}
	out = append(out, loop...)
	if out[0] == bound.String() { // no advertised address: never the wildcard
		out = out[1:]
	}
	if len(out) == 0 {
		return []string{netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), bound.Port()).String()}
	}
	return out
}

// hostAddrs returns the IP addresses of this host's interfaces that are
// up.
func hostAddrs() []netip.Addr {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				out = append(out, p.Addr())
			}
		}
	}
	return out
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
	cfg.Gossip.Strategy, cfg.Gossip.RemoteMeshPeers, cfg.Gossip.RandomMeshShare = f.strategy, f.remoteMesh, float64(f.randomShare)
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
	if len(f.keyFiles) > 0 {
		keys, err := readNetworkKeys(f.keyFiles)
		if err != nil {
			return cfg, fmt.Errorf("-network-key: %w", err)
		}
		cfg.NetworkKeys = keys
	}
	lvl, _ := parseLevel(f.logLevel)
	cfg.Logger = slog.New(newLineHandler(stderr, "gwyh node", lvl))
	return cfg, nil
}

// publishLines publishes each stdin line until stdin ends or ctx ends. A
// line longer than limit bytes (the largest message) is reported on
// stderr and skipped; reading goes on with the next line.
func publishLines(ctx context.Context, in io.Reader, t *topic.Topic[string], limit int, stderr io.Writer) {
	r := bufio.NewReaderSize(in, 64<<10)
	for k := 1; ; k++ {
		line, size, err := readLine(r, limit)
		switch {
		case size > limit:
			fmt.Fprintf(stderr, "gwyh node: line %d not published: %d bytes, more than the largest message (%d bytes)\n", k, size, limit)
		case len(line) > 0:
			publishLine(ctx, t, string(line), stderr)
		}
		if err != nil {
			return
		}
	}
}

// readLine reads one line, without its "\n" or "\r\n", and returns it
// with its length. A line longer than limit is read to its end and
// dropped: line is then nil and size its length. err is the reader's
// (io.EOF after the last line).
func readLine(r *bufio.Reader, limit int) (line []byte, size int, err error) {
	var prev byte // the last byte of the chunk before
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line) <= limit+1 { // keeps all of a line of limit bytes and its "\r\n"
			line = append(line, chunk...)
		}
		size += len(chunk)
		if err == bufio.ErrBufferFull {
			prev = chunk[len(chunk)-1]
			continue
		}
		if k := len(chunk); k > 0 && chunk[k-1] == '\n' {
			size--
			if k >= 2 && chunk[k-2] == '\r' || k == 1 && prev == '\r' {
				size--
			}
		}
		if size > limit {
			return nil, size, err
		}
		return line[:size], size, err
	}
}

// publishLine publishes one line and reports a loss on stderr.
func publishLine(ctx context.Context, t *topic.Topic[string], line string, stderr io.Writer) {
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

// reloadKeysOnHUP rereads the network key files on every SIGHUP and gives
// the node the new keyring (Node.SetNetworkKeys), until ctx ends. A file
// that cannot be read or holds a bad keyring is reported and the keys in
// use are kept.
func reloadKeysOnHUP(ctx context.Context, hup <-chan os.Signal, paths []string, n *node.Node, stderr io.Writer) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		keys, err := readNetworkKeys(paths)
		if err == nil {
			err = n.SetNetworkKeys(keys)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gwyh node: SIGHUP: network keys not changed: -network-key: %v\n", err)
			continue
		}
		fmt.Fprintf(stderr, "gwyh node: network keys reloaded: %s\n", describeKeys(keys))
	}
}
