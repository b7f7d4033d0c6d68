package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/router"
)

func init() {
	commands["demo"] = command{"start a 16-node cluster on loopback and watch messages spread", runDemo}
}

// demoFlags are the demo's knobs; the defaults are the README's demo.
type demoFlags struct {
	nodes, degree, burst, rate, publishers, size int
	seconds                                      float64
	seed                                         uint64
}

func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, int) {
	var f demoFlags
	fs := flag.NewFlagSet("gwyh demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&f.nodes, "n", 16, "nodes to start on 127.0.0.1")
	fs.IntVar(&f.degree, "degree", 5, "peers each node dials at start")
	fs.IntVar(&f.burst, "burst", 200, "messages node 0 publishes at once")
	fs.IntVar(&f.rate, "rate", 100, "messages per second in the steady stream, in total")
	fs.Float64Var(&f.seconds, "seconds", 3, "length of the steady stream")
	fs.IntVar(&f.publishers, "publishers", 4, "nodes publishing the steady stream")
	fs.IntVar(&f.size, "size", 256, "payload bytes per message (at least 16)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for identities and topology")
	if code := parseFlags(fs, args, `usage: gwyh demo [flags]

Starts a cluster of gwyh nodes inside this process, each on its own
encrypted UDP socket on 127.0.0.1, joins them all to one topic, publishes a
burst from one node and then a steady stream from several, and shows how
the messages spread: live progress, then deliveries, latency percentiles,
duplicates and bytes on the wire. It exits 0 when every message reached
every node (1 when deliveries fell short, 2 on bad flags).

flags:
`, stderr); code >= 0 {
		return f, code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "gwyh demo: unexpected argument %q (run 'gwyh demo -h')\n", fs.Arg(0))
		return f, 2
	case f.nodes < 2 || f.degree < 1 || f.burst < 0 || f.rate < 0 || f.seconds < 0 || f.publishers < 1 || f.size < 0:
		fmt.Fprintln(stderr, "gwyh demo: want -n ≥ 2, -degree ≥ 1, -publishers ≥ 1 and non-negative counts (run 'gwyh demo -h')")
		return f, 2
	}
	f.degree = min(f.degree, f.nodes-1)
	f.publishers = min(f.publishers, f.nodes)
	return f, -1
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	f, code := parseDemoFlags(args, stderr)
	if code >= 0 {
		return code
	}
	stream := int(float64(f.rate) * f.seconds)
	spec := clusterSpec{
		nodes: f.nodes, degree: f.degree, d: 6, heartbeat: 200 * time.Millisecond,
		sign: router.StrictSign, seed: f.seed, topic: "demo", msgs: f.burst + stream,
	}
	fmt.Fprintf(stdout, "gwyh demo: %d nodes on 127.0.0.1, each on its own encrypted UDP socket, all in topic %q\n", f.nodes, spec.topic)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := startCluster(ctx, spec)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh demo: %v\n", err)
		return 1
	}
	defer c.close()
	fmt.Fprintf(stdout, "  started and connected (each node dialled %d others) in %v\n", f.degree, ms(time.Since(start)))
	if err := c.waitMeshes(ctx, min(4, f.nodes-1)); err != nil {
		fmt.Fprintf(stderr, "gwyh demo: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "  topic meshes formed in %v (GossipSub D=6: each node forwards to about 6 mesh peers)\n\n", ms(time.Since(start)))
	d := demoRun{c: c, out: stdout, size: f.size}
	d.burst(f.burst)
	d.stream(f.rate, f.seconds, f.publishers)
	d.drain(3 * time.Second)
	return d.summary()
}

// demoRun publishes and reports.
type demoRun struct {
	c    *cluster
	out  io.Writer
	size int
	seq  uint64
	errs map[string]int // Publish errors by kind

	phase     uint64   // the first message of the phase (burst, stream) under way
	burstEnd  uint64   // the messages before it are the burst's
	lastShown [2]int64 // published and delivered of the last progress line
}

// publish publishes the next message from node from; a Publish error is
// counted by kind and shown in the summary.
func (d *demoRun) publish(from int) {
	if _, err := d.c.handles[from].Publish(context.Background(), payload(d.seq, d.size)); err != nil {
		if d.errs == nil {
			d.errs = map[string]int{}
		}
		d.errs[publishErrKind(err)]++
	}
	d.seq++
}

// publishErrKind names what a Publish error says happened to the message.
func publishErrKind(err error) string {
	switch {
	case errors.Is(err, node.ErrPartial):
		return "queued to some peers only"
	case errors.Is(err, node.ErrQueueFull):
		return "every send queue full"
	case errors.Is(err, node.ErrNoPeers):
		return "published to no peer"
	default:
		return err.Error()
	}
}

func (d *demoRun) burst(n int) {
	if n == 0 {
		return
	}
	fmt.Fprintf(d.out, "burst: node 0 publishes %d messages of %d bytes as fast as it can\n", n, d.size)
	start := time.Now()
	d.phase = d.seq
	for range n {
		d.publish(0)
	}
	d.burstEnd = d.seq
	d.waitAll(start, 5*time.Second)
}

func (d *demoRun) stream(rate int, seconds float64, publishers int) {
	total := int(float64(rate) * seconds)
	if total == 0 {
		return
	}
	fmt.Fprintf(d.out, "\nstream: nodes 1..%d publish %d messages/s in turn for %.1f s\n", publishers, rate, seconds)
	start := time.Now()
	d.phase = d.seq
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	report := time.NewTicker(500 * time.Millisecond)
	defer report.Stop()
	for i := 0; i < total; {
		select {
		case <-tick.C:
			d.publish(1 + i%publishers%(len(d.c.nodes)-1))
			i++
		case <-report.C:
			d.progress(start)
		}
	}
	d.progress(start)
}

// drain waits for the last messages to arrive everywhere.
func (d *demoRun) drain(limit time.Duration) {
	deadline := time.After(limit)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for d.c.rec.complete.Load() < int64(d.seq) {
		select {
		case <-deadline:
			return
		case <-t.C:
		}
	}
}

// waitAll reports progress until every message so far has reached every
// node, or limit passes.
func (d *demoRun) waitAll(start time.Time, limit time.Duration) {
	deadline := time.After(limit)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for d.c.rec.complete.Load() < int64(d.seq) {
		select {
		case <-deadline:
			d.progress(start)
			return
		case <-t.C:
			d.progress(start)
		}
	}
	d.progress(start)
}

// progress prints one line of counts, and the latency of this phase's
// messages; nothing when the counts did not change since the last line.
func (d *demoRun) progress(start time.Time) {
	want := int64(d.seq) * int64(len(d.c.nodes)-1)
	got := d.c.rec.total.Load()
	if shown := [2]int64{int64(d.seq), got}; shown == d.lastShown {
		return
	} else {
		d.lastShown = shown
	}
	p50, _, p99, _ := d.c.rec.percentilesOf(d.phase, d.seq)
	fmt.Fprintf(d.out, "  %6v  published %5d  delivered %6d/%-6d (%5.1f%%)  latency p50 %v p99 %v\n",
		ms(time.Since(start)), d.seq, got, want, pct(got, want), ms(p50), ms(p99))
}

// summary prints the totals and returns the exit status.
func (d *demoRun) summary() int {
	n := int64(len(d.c.nodes))
	want := int64(d.seq) * (n - 1)
	got := d.c.rec.total.Load()
	t := d.c.totals()
	p50, p90, p99, mx := d.c.rec.percentiles()
	per := max(float64(d.seq)*float64(n), 1)
	fmt.Fprintf(d.out, "\nsummary (%d nodes, %d messages of %d bytes):\n", n, d.seq, d.size)
	fmt.Fprintf(d.out, "  deliveries     %d of %d expected (%.2f%%): every node but the author gets each message once\n", got, want, pct(got, want))
	fmt.Fprintf(d.out, "  latency        p50 %v  p90 %v  p99 %v  max %v (publish to delivery)\n", ms(p50), ms(p90), ms(p99), ms(mx))
	if d.burstEnd > 0 && d.seq > d.burstEnd {
		b50, _, b99, _ := d.c.rec.percentilesOf(0, d.burstEnd)
		s50, _, s99, _ := d.c.rec.percentilesOf(d.burstEnd, d.seq)
		fmt.Fprintf(d.out, "    burst        p50 %v  p99 %v: its %d messages were published at once, so most of this is waiting in queues behind the ones before\n",
			ms(b50), ms(b99), d.burstEnd)
		fmt.Fprintf(d.out, "    stream       p50 %v  p99 %v: one message at a time, what a message takes when the queues are short\n", ms(s50), ms(s99))
	}
	fmt.Fprintf(d.out, "  duplicates     %.2f per message per node (extra copies the mesh sent, dropped on arrival)\n", float64(t.duplicates)/per)
	fmt.Fprintf(d.out, "  on the wire    %.0f bytes per message per node (%d packets, encrypted, all traffic)\n", float64(t.bytesOut)/per, t.packetsOut)
	if t.lost > 0 {
		fmt.Fprintf(d.out, "  lost by slow subscribers: %d\n", t.lost)
	}
	if len(d.errs) > 0 {
		fmt.Fprintf(d.out, "  publish errors %v\n", d.errs)
	}
	if got < want {
		fmt.Fprintf(d.out, "\nsome deliveries are missing; drops by cause: %v\n", t.drops)
		return 1
	}
	fmt.Fprintln(d.out, "\nevery message reached every node.")
	return 0
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

// ms rounds a duration for people: 1.234ms, 12.3ms, 1.2s.
func ms(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < 100*time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Millisecond)
	}
}
