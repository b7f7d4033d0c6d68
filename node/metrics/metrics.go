// Package metrics exports a node's Stats to Prometheus: a
// prometheus.Collector (github.com/prometheus/client_golang) to register in
// any registry, and an http.Handler for /metrics. It lives apart from
// package node so that the core imports nothing of Prometheus.
//
// Every metric is labelled with the node's peer ID (node="..."), so one
// collector may serve several nodes of one process.
package metrics

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// Collector is a prometheus.Collector of the Stats of a fixed set of nodes.
// Each scrape takes one Stats snapshot per node; closed nodes are skipped.
// Safe for concurrent use.
type Collector struct {
	nodes []*node.Node
	descs []*prometheus.Desc // one per family, in families order
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector of nodes' metrics.
func NewCollector(nodes ...*node.Node) *Collector {
	c := &Collector{nodes: nodes, descs: make([]*prometheus.Desc, len(families))}
	for i, f := range families {
		c.descs[i] = prometheus.NewDesc(f.name, f.help, append([]string{"node"}, f.labels...), nil)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
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
		id := st.ID.String()
		for i, f := range families {
			for _, s := range f.samples(&st) {
				ch <- prometheus.MustNewConstMetric(c.descs[i], f.kind, s.value, append([]string{id}, s.labels...)...)
			}
		}
	}
}

// Handler returns an http.Handler serving nodes' metrics, alone in a
// registry of their own, in the format the scraper negotiates.
func Handler(nodes ...*node.Node) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(nodes...))
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
	{"gwyh_peer_score", "Score of each connected peer (0 with scoring off).", prometheus.GaugeValue, []string{"peer"}, func(s *node.Stats) []sample {
		out := make([]sample, 0, len(s.Peers))
		for _, p := range s.Peers {
			out = append(out, sample{[]string{p.ID.String()}, p.Score})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].labels[0] < out[j].labels[0] })
		return out
	}},
}
