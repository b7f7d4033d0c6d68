package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gwyh/gwyh/router"
)

func init() {
	commands["bench"] = command{"cluster benchmark: N nodes on loopback, throughput or latency, JSON out", runBench}
}

// benchFlags are the flags of docs/BENCH.md §2.
type benchFlags struct {
	scenario                       string
	n, degree, d, publishers, msgs int
	size, rate, window             int
	seconds                        float64
	sign                           string
	seed                           uint64
	heartbeat, timeout             time.Duration
	cpuprofile, memprofile         string
	trace                          string
	proto                          protoFlags
	validate, gro, scoring         bool
}

// benchResult is the JSON object bench prints, with docs/BENCH.md's keys.
type benchResult struct {
	Impl              string  `json:"impl"`
	Scenario          string  `json:"scenario"`
	Net               string  `json:"net"`
	N                 int     `json:"n"`
	Degree            int     `json:"degree"`
	D                 int     `json:"d"`
	Publishers        int     `json:"publishers"`
	Msgs              int     `json:"msgs"`
	Size              int     `json:"size"`
	Rate              int     `json:"rate"`
	Seconds           float64 `json:"seconds"`
	Sign              string  `json:"sign"`
	MsgsPerSec        float64 `json:"msgs_per_sec"`
	DeliveryRatio     float64 `json:"delivery_ratio"`
	LatP50us          int64   `json:"lat_p50_us"`
	LatP90us          int64   `json:"lat_p90_us"`
	LatP99us          int64   `json:"lat_p99_us"`
	LatMaxus          int64   `json:"lat_max_us"`
	DupPerMsgPerNode  float64 `json:"dup_per_msg_per_node"`
	BytesPerMsgPerNod float64 `json:"bytes_per_msg_per_node"`
	PeakRSSMB         float64 `json:"peak_rss_mb"`
	CPUs              float64 `json:"cpu_s"`
	// Extras beyond BENCH.md's keys.
	Scoring  bool              `json:"scoring"`
	Window   int               `json:"window"`
	Rejected int               `json:"publish_errors"`
	Partial  int               `json:"publish_partial"`
	TimedOut bool              `json:"timed_out"`
	Drops    map[string]uint64 `json:"drops,omitempty"`
	SubLost  uint64            `json:"subscriber_lost"`
	// PktsPerMsgPerNode: datagrams sent (transport Stats.PacketsOut) per
	// message and node, as bytes_per_msg_per_node counts their bytes.
	PktsPerMsgPerNode float64 `json:"packets_per_msg_per_node"`
	// PktsPerWriteBatch and PktsPerReadBatch: datagrams per socket batch
	// call (sendmmsg and recvmmsg on Linux; transport Stats.WriteBatches
	// and ReadBatches), how well the transport amortises its syscalls.
	PktsPerWriteBatch float64 `json:"packets_per_write_batch"`
	PktsPerReadBatch  float64 `json:"packets_per_read_batch"`
	// Chokes: CHOKEs the nodes sent during the run (router
	// Stats.ChokeSent): whether the choke extension engaged; Unchokes
	// the UNCHOKEs (UnchokeSent), ChokedIHave the message ids announced
	// instead of sent to peers that choked us (ChokedIHave).
	Chokes      uint64  `json:"chokes"`
	Unchokes    uint64  `json:"unchokes"`
	ChokedIHave uint64  `json:"choked_ihave"`
	ElapsedS    float64 `json:"elapsed_s"`
	// PeakRSSMBPerNode is PeakRSSMB / N: the whole process's peak (the
	// recorder and the runtime included) shared by the nodes.
	PeakRSSMBPerNode float64 `json:"peak_rss_mb_per_node"`
	// HeapInuseMB is the Go heap in use after the run, after a GC: what
	// the nodes still hold (message and seen caches, buffers).
	HeapInuseMB float64 `json:"heap_inuse_mb"`
}

func parseBenchFlags(args []string, stderr io.Writer) (benchFlags, int) {
	var f benchFlags
	fs := flag.NewFlagSet("gwyh bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.scenario, "scenario", "throughput", "throughput or latency")
	fs.IntVar(&f.n, "n", 32, "nodes")
	fs.IntVar(&f.degree, "degree", 8, "each node connects to K random others (seeded)")
	fs.IntVar(&f.d, "d", 6, "GossipSub D (D_lo/D_hi from defaults)")
	fs.IntVar(&f.publishers, "publishers", 1, "publishing nodes")
	fs.IntVar(&f.msgs, "msgs", 20000, "messages in total (throughput)")
	fs.IntVar(&f.size, "size", 256, "payload bytes (at least 16: sequence number and send time)")
	fs.IntVar(&f.rate, "rate", 200, "messages/s in total (latency)")
	fs.Float64Var(&f.seconds, "seconds", 20, "duration in seconds (latency)")
	fs.IntVar(&f.window, "window", 0, "throughput: most messages in flight (published, not yet received by all); 0 = as fast as Publish returns")
	fs.StringVar(&f.sign, "sign", "strict", "signature policy: strict or none")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for identities and topology")
	fs.DurationVar(&f.heartbeat, "heartbeat", time.Second, "GossipSub heartbeat interval")
	fs.DurationVar(&f.timeout, "timeout", 120*time.Second, "give up waiting for deliveries after this long")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the measured run to this file")
	fs.StringVar(&f.memprofile, "memprofile", "", "write a heap profile (in use and allocated) at the end of the measured run to this file")
	fs.StringVar(&f.trace, "trace", "", "write an execution trace of the measured run to this file (go tool trace; -pprof=sched shows how long goroutines waited to run)")
	f.proto.register(fs)
	fs.BoolVar(&f.validate, "validate", false, "every node validates messages with an accept-all validator on its worker pool (asynchronous validation)")
	fs.BoolVar(&f.scoring, "scoring", false, "every node scores its peers with the simulator's score parameters (sim.ScoreParams) and score.DefaultThresholds")
	fs.BoolVar(&f.gro, "gro", false, "receive with UDP GRO where the kernel has it (transport.Options.CoalesceReceives, off by default)")
	if code := parseFlags(fs, args, `usage: gwyh bench [flags]

Runs N gwyh nodes in this process on 127.0.0.1, each over its own encrypted
UDP socket, all in one topic, and measures (docs/BENCH.md §2):

  throughput: the publishers publish -msgs messages as fast as Publish
              accepts them (at most -window in flight; -window 0 relies on
              Publish's backpressure); the clock stops when every node has
              every message; msgs_per_sec = msgs / that time.
  latency:    the publishers publish at -rate msgs/s for -seconds; latency
              is measured per delivery at every node from the send time
              carried in the payload.

A delivery is the first receipt of a message at a node other than its
publisher (a message delivered to a node again counts once, and adds no
latency sample); delivery_ratio = deliveries / (messages x (N-1)). The
benchmark waits for the meshes to form before it starts the clock. One
JSON object goes to stdout, progress to stderr. Keys: impl scenario net n
degree d publishers msgs size rate seconds sign msgs_per_sec
delivery_ratio lat_p50_us lat_p90_us lat_p99_us lat_max_us
dup_per_msg_per_node bytes_per_msg_per_node peak_rss_mb cpu_s (plus
scoring, window, publish_errors: Publish calls that failed or queued their message
to no peer; publish_partial: calls whose message some peers' full send
queues refused; packets_per_msg_per_node: datagrams sent per message and
node; packets_per_write_batch, packets_per_read_batch: datagrams per
socket batch call (sendmmsg, recvmmsg); timed_out, drops,
subscriber_lost, chokes, unchokes, choked_ihave, elapsed_s;
peak_rss_mb_per_node: peak_rss_mb / n, the process's peak resident memory
(the nodes, the recorder of 4 bytes per message and node, the Go
runtime) per node; heap_inuse_mb: the Go heap in use at the end of the
run, after a garbage collection: what the nodes still hold).

flags:
`, stderr); code >= 0 {
		return f, code
	}
	if msg := f.check(fs.NArg()); msg != "" {
		fmt.Fprintf(stderr, "gwyh bench: %s (run 'gwyh bench -h')\n", msg)
		return f, 2
	}
	f.degree = min(f.degree, f.n-1)
	return f, -1
}

// check returns a one-line complaint about f, or "".
func (f *benchFlags) check(extra int) string {
	switch {
	case extra > 0:
		return "unexpected arguments"
	case f.scenario != "throughput" && f.scenario != "latency":
		return fmt.Sprintf("-scenario %q: want throughput or latency", f.scenario)
	case signProblem(f.sign) != "":
		return signProblem(f.sign)
	case f.n < 2:
		return "-n: want at least 2 nodes"
	case f.degree < 1 || f.d < 1:
		return "-degree and -d: want at least 1"
	case f.publishers < 1 || f.publishers > f.n:
		return "-publishers: want 1..n"
	case f.msgs < 1 || f.size < 0 || f.window < 0:
		return "-msgs ≥ 1, -size ≥ 0, -window ≥ 0"
	case f.scenario == "latency" && (f.rate < 1 || f.seconds <= 0):
		return "-rate ≥ 1 and -seconds > 0 for the latency scenario"
	case f.heartbeat <= 0 || f.timeout <= 0:
		return "-heartbeat and -timeout must be positive"
	case f.proto.mcacheBytes < 1:
		return "-mcache-bytes: want at least 1"
	}
	return ""
}

func runBench(args []string, stdout, stderr io.Writer) int {
	f, code := parseBenchFlags(args, stderr)
	if code >= 0 {
		return code
	}
	msgs := f.msgs
	if f.scenario == "latency" {
		msgs = int(float64(f.rate) * f.seconds)
	}
	sign := router.StrictSign
	if f.sign == "none" {
		sign = router.StrictNoSign
	}
	spec := clusterSpec{
		nodes: f.n, degree: f.degree, d: f.d, heartbeat: f.heartbeat, sign: sign,
		seed: f.seed, topic: "bench", msgs: msgs, wait: f.window == 0,
		tune: f.proto.apply, validate: f.validate, gro: f.gro, scoring: f.scoring,
	}
	fmt.Fprintf(stderr, "bench: starting %d nodes (degree %d, D %d, sign %s)\n", f.n, f.degree, f.d, f.sign)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := startCluster(ctx, spec)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	defer c.close()
	if err := c.waitMeshes(ctx, min(spec.d, f.degree, gossipParams(f.d, f.heartbeat).Dlo)); err != nil {
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	settle := time.NewTimer(2 * f.heartbeat)
	<-settle.C
	b := &benchRun{f: f, c: c, msgs: msgs, stderr: stderr, base: c.totals(), cpu0: cpuSeconds()}
	fmt.Fprintf(stderr, "bench: meshes formed; running %s with %d messages\n", f.scenario, msgs)
	stop, err := startProfiles(f.cpuprofile, f.memprofile)
	if err != nil {
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	stopTrace, err := startTrace(f.trace)
	if err != nil {
		_ = stop()
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	res := b.run()
	if err := errors.Join(stopTrace(), stop()); err != nil {
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "gwyh bench: %v\n", err)
		return 1
	}
	return 0
}

// signProblem returns what is wrong with a -sign value (node, bench and
// sim take the same two), or "".
func signProblem(v string) string {
	if v != "strict" && v != "none" {
		return fmt.Sprintf("-sign %q: want strict or none", v)
	}
	return ""
}
