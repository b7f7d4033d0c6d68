// Package metrics exports a node's Stats to Prometheus: a
// prometheus.Collector (github.com/prometheus/client_golang) to register in
// any registry, Register to add it with the Go runtime and process
// collectors, and an http.Handler for /metrics. It lives apart from
// package node so that the core imports nothing of Prometheus.
//
// Labels. The metrics of one node carry no node label: a registry is
// usually one process's, running one node. When several nodes share a
// Collector, every sample is labelled node="<peer ID>"; to register
// several Collectors in one registry, give each Options.NodeLabel. No
// label grows with the cluster: there is no per-peer label. Peer scores
// are the histogram gwyh_peer_score, a snapshot of the connected peers'
// current scores (its buckets go down as well as up: read it with
// histogram_quantile on the series themselves, not on rate()), and the
// gauges gwyh_peer_score_lowest{rank="1".."3"}, the lowest scores; which
// peers they are, Node.Stats tells.
//
// Latency histograms, on the node's clock (see node.Stats):
// gwyh_delivery_latency_seconds, from the event loop's handling of a
// received message's first copy to its delivery to local subscriptions
// (the router's checks and the validators; not the time on the wire), and
// gwyh_publish_first_forward_seconds, from Publish handing a message to
// the event loop to its first payload queued on the transport.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// Collector is a prometheus.Collector of the Stats of a fixed set of nodes.
// Each scrape takes one Stats snapshot per node; closed nodes are skipped.
// Safe for concurrent use.
type Collector struct {
	nodes  []*node.Node
	label  bool               // samples carry node="<peer ID>" as a variable label
	descs  []*prometheus.Desc // one per family, in families order
	hdescs []*prometheus.Desc // one per histogram family, in histograms order
}

var _ prometheus.Collector = (*Collector)(nil)

// Options configure Register.
type Options struct {
	// NodeLabel labels every sample node="<peer ID>" even for a single
	// node, so that the Collectors of several nodes can share one
	// registry. A Collector of several nodes always labels them.
	NodeLabel bool
	// NoRuntime leaves out the Go runtime and process collectors (go_*,
	// process_*), for a registry that has its own with other options.
	// Without it, Register skips those the registry already has in their
	// default form, as prometheus.DefaultRegisterer does.
	NoRuntime bool
}

// NewCollector returns a Collector of nodes' metrics, labelled by node
// only when there are several.
func NewCollector(nodes ...*node.Node) *Collector {
	return newCollector(false, nodes)
}

// newCollector returns a Collector of nodes, whose samples carry the node
// label when there are several nodes (a variable label) or when
// nodeLabel (for one node, a constant label: the Descs then differ from
// those of another node's Collector, so both fit in one registry).
func newCollector(nodeLabel bool, nodes []*node.Node) *Collector {
	c := &Collector{nodes: nodes, label: len(nodes) > 1}
	var (
		base  []string
		konst prometheus.Labels
	)
	switch {
	case c.label:
		base = []string{"node"}
	case nodeLabel && len(nodes) == 1:
		konst = prometheus.Labels{"node": nodes[0].ID().String()}
	}
	for _, f := range families {
		c.descs = append(c.descs, prometheus.NewDesc(f.name, f.help, append(slices.Clip(base), f.labels...), konst))
	}
	for _, h := range histograms {
		c.hdescs = append(c.hdescs, prometheus.NewDesc(h.name, h.help, base, konst))
	}
	return c
}

// Register registers in reg a Collector of nodes (labelled as
// Options.NodeLabel says) and, unless opts.NoRuntime, the standard Go
// runtime and process collectors, skipping those reg already has. It
// returns the Collector. On error, what was registered before it stays.
func Register(reg prometheus.Registerer, opts Options, nodes ...*node.Node) (*Collector, error) {
	if !opts.NoRuntime {
		for _, rc := range []prometheus.Collector{
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		} {
			var dup prometheus.AlreadyRegisteredError
			if err := reg.Register(rc); err != nil && !errors.As(err, &dup) {
				return nil, fmt.Errorf("metrics: registering the runtime collectors: %w", err)
			}
		}
	}
	c := newCollector(opts.NodeLabel, nodes)
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("metrics: registering the node collector: %w", err)
	}
	return c, nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	for _, d := range c.hdescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.nodes {
		st, err := n.Stats()
		if err != nil {
			continue // closed
		}
		var base []string
		if c.label {
			base = []string{st.ID.String()}
		}
		for i, f := range families {
			for _, s := range f.samples(&st) {
				ch <- prometheus.MustNewConstMetric(c.descs[i], f.kind, s.value, append(slices.Clip(base), s.labels...)...)
			}
		}
		for i, h := range histograms {
			count, sum, buckets := h.read(&st)
			ch <- prometheus.MustNewConstHistogram(c.hdescs[i], count, sum, buckets, base...)
		}
	}
}

// Handler returns an http.Handler serving nodes' metrics, with the Go
// runtime and process collectors, in a registry of their own, in the
// format the scraper negotiates.
func Handler(nodes ...*node.Node) http.Handler {
	reg := prometheus.NewRegistry()
	if _, err := Register(reg, Options{}, nodes...); err != nil {
		panic(err) // a new registry holds nothing to collide with
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// family is one metric family: its name, help, type, the names of its
// labels besides "node", and how to read its samples off a node's Stats.
type family struct {
	name, help string
	kind       prometheus.ValueType
	labels     []string
	samples    func(*node.Stats) []sample
}

// sample is one value with the values of its family's labels, in order.
type sample struct {
	labels []string
	value  float64
}

func one(v uint64) []sample { return []sample{{value: float64(v)}} }

// byCause turns drop counters into one sample per non-zero cause.
func byCause[C fmt.Stringer](counts []uint64, cause func(int) C) []sample {
	var out []sample
	for i, v := range counts {
		if v > 0 {
			out = append(out, sample{labels: []string{cause(i).String()}, value: float64(v)})
		}
	}
	return out
}

var families = []family{
	{"gwyh_peers", "Connected peers.", prometheus.GaugeValue, nil, func(s *node.Stats) []sample { return one(uint64(len(s.Peers))) }},
	{"gwyh_messages_received_total", "Messages received, first copies and duplicates.", prometheus.CounterValue, nil, func(s *node.Stats) []sample { return one(s.Router.MsgsIn) }},
	{"gwyh_messages_sent_total", "Message copies sent to peers.", prometheus.CounterValue, nil, func(s *node.Stats) []sample { return one(s.Router.MsgsOut) }},
	{"gwyh_messages_published_total", "Messages published by this node.", prometheus.CounterValue, nil, func(s *node.Stats) []sample { return one(s.Router.Published) }},
	{"gwyh_messages_delivered_total", "Messages delivered to local subscribers.", prometheus.CounterValue, nil, func(s *node.Stats) []sample { return one(s.Router.Delivered) }},
	{"gwyh_duplicates_total", "Received copies of messages already seen.", prometheus.CounterValue, nil, func(s *node.Stats) []sample { return one(s.Router.Duplicates) }},
	{"gwyh_validations_total", "Validation outcomes.", prometheus.CounterValue, []string{"result"}, func(s *node.Stats) []sample {
		r := s.Router
		return []sample{
			{[]string{"accept"}, float64(r.ValidationAccept)},
			{[]string{"reject"}, float64(r.ValidationReject)},
			{[]string{"ignore"}, float64(r.ValidationIgnore)},
			{[]string{"throttled"}, float64(r.ValidationThrottled)},
			{[]string{"timeout"}, float64(r.ValidationTimeout)},
		}
	}},
	{"gwyh_control_total", "Control messages by kind and direction.", prometheus.CounterValue, []string{"kind", "dir"}, func(s *node.Stats) []sample {
		r := s.Router
		c := func(kind, dir string, v uint64) sample { return sample{[]string{kind, dir}, float64(v)} }
		return []sample{
			c("graft", "out", r.GraftSent), c("graft", "in", r.GraftRecv),
			c("prune", "out", r.PruneSent), c("prune", "in", r.PruneRecv),
			c("ihave", "out", r.IHaveSent), c("ihave", "in", r.IHaveRecv),
			c("iwant", "out", r.IWantSent), c("iwant", "in", r.IWantRecv),
			c("idontwant", "out", r.IDontWantSent), c("idontwant", "in", r.IDontWantRecv),
			c("choke", "out", r.ChokeSent), c("choke", "in", r.ChokeRecv),
			c("unchoke", "out", r.UnchokeSent), c("unchoke", "in", r.UnchokeRecv),
		}
	}},
	{"gwyh_router_drops_total", "Drops by the router, by cause.", prometheus.CounterValue, []string{"cause"}, func(s *node.Stats) []sample {
		return byCause(s.Router.Drops[:], func(i int) router.DropCause { return router.DropCause(i) })
	}},
	{"gwyh_transport_drops_total", "Drops by the transport, by cause.", prometheus.CounterValue, []string{"cause"}, func(s *node.Stats) []sample {
		return byCause(s.Transport.Drops[:], func(i int) transport.DropCause { return transport.DropCause(i) })
	}},
	{"gwyh_node_drops_total", "Drops by the node runtime, by cause.", prometheus.CounterValue, []string{"cause"}, func(s *node.Stats) []sample {
		return byCause(s.NodeDrops[:], func(i int) node.DropCause { return node.DropCause(i) })
	}},
	{"gwyh_transport_packets_total", "Datagrams on the wire.", prometheus.CounterValue, []string{"dir"}, func(s *node.Stats) []sample {
		return []sample{{[]string{"in"}, float64(s.Transport.PacketsIn)}, {[]string{"out"}, float64(s.Transport.PacketsOut)}}
	}},
	{"gwyh_transport_bytes_total", "Bytes on the wire, headers included.", prometheus.CounterValue, []string{"dir"}, func(s *node.Stats) []sample {
		return []sample{{[]string{"in"}, float64(s.Transport.BytesIn)}, {[]string{"out"}, float64(s.Transport.BytesOut)}}
	}},
	{"gwyh_topic_mesh_peers", "Mesh peers per joined topic.", prometheus.GaugeValue, []string{"topic"}, func(s *node.Stats) []sample {
		var out []sample
		for _, t := range s.Topics {
			out = append(out, sample{[]string{t.Name}, float64(len(t.Mesh))})
		}
		return out
	}},
	{"gwyh_subscription_lost_total", "Messages slow subscriptions dropped (oldest first), per topic.", prometheus.CounterValue, []string{"topic"}, func(s *node.Stats) []sample {
		var out []sample
		for _, t := range s.Topics {
			out = append(out, sample{[]string{t.Name}, float64(t.Lost)})
		}
		return out
	}},
	{"gwyh_peer_score_lowest", "The lowest scores of connected peers (0 with scoring off), rank 1 the lowest; as many ranks as peers, at most " + strconv.Itoa(lowestScores) + ".", prometheus.GaugeValue, []string{"rank"}, func(s *node.Stats) []sample {
		scores := peerScores(s)
		out := make([]sample, 0, lowestScores)
		for i := 0; i < len(scores) && i < lowestScores; i++ {
			out = append(out, sample{[]string{strconv.Itoa(i + 1)}, scores[i]})
		}
		return out
	}},
}

// lowestScores is how many of the lowest peer scores are exported.
const lowestScores = 3

// peerScores returns the scores of s's peers, lowest first.
func peerScores(s *node.Stats) []float64 {
	out := make([]float64, len(s.Peers))
	for i, p := range s.Peers {
		out[i] = p.Score
	}
	slices.Sort(out)
	return out
}

// histogram is one histogram family (no labels besides "node"): how to
// read its count, sum and cumulative buckets off a node's Stats.
type histogram struct {
	name, help string
	read       func(*node.Stats) (count uint64, sum float64, buckets map[float64]uint64)
}

var histograms = []histogram{
	{"gwyh_delivery_latency_seconds", "Time from the event loop's handling of a received message's first copy to its delivery to local subscriptions: router checks and validators, not the network.", func(s *node.Stats) (uint64, float64, map[float64]uint64) {
		return latency(&s.DeliveryLatency)
	}},
	{"gwyh_publish_first_forward_seconds", "Time from Publish handing an own message to the event loop to its first payload queued on the transport.", func(s *node.Stats) (uint64, float64, map[float64]uint64) {
		return latency(&s.PublishLatency)
	}},
	{"gwyh_peer_score", "Scores of the connected peers now (0 with scoring off): a snapshot, not cumulative.", func(s *node.Stats) (uint64, float64, map[float64]uint64) {
		scores := peerScores(s)
		buckets := make(map[float64]uint64, len(scoreBounds))
		sum := 0.0
		for _, v := range scores {
			sum += v
		}
		for _, b := range scoreBounds {
			n, _ := slices.BinarySearch(scores, b)
			for n < len(scores) && scores[n] <= b {
				n++
			}
			buckets[b] = uint64(n)
		}
		return uint64(len(scores)), sum, buckets
	}},
}

// scoreBounds are the upper bounds of gwyh_peer_score's buckets: the
// orders of magnitude around the usual thresholds (gossip, publish and
// graylist thresholds are tens below zero).
var scoreBounds = [...]float64{-1000, -100, -10, -1, 0, 1, 10, 100, 1000}

// latency turns a node.LatencyHistogram into a histogram in seconds with
// cumulative buckets.
func latency(h *node.LatencyHistogram) (uint64, float64, map[float64]uint64) {
	bounds := node.LatencyBounds()
	buckets := make(map[float64]uint64, len(bounds))
	var cum uint64
	for i, b := range bounds {
		cum += h.Counts[i]
		buckets[b.Seconds()] = cum
	}
	return h.Count, h.Sum.Seconds(), buckets
}
