// Package metrics exposes a node's Stats in the Prometheus text exposition
// format (version 0.0.4), as an http.Handler to mount on /metrics. It lives
// apart from package node so that the core imports nothing of it.
//
// It writes the format itself rather than through
// github.com/prometheus/client_golang: that module's dependencies are not
// in this repository's go.sum, and the format is small. Every metric is
// labelled with the node's peer ID (node="..."), so one handler may serve
// several nodes of one process.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/transport"
)

// ContentType is the content type of the exposition format written here.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler returns an http.Handler that writes the metrics of nodes on each
// request. Closed nodes are skipped. Safe for concurrent use.
func Handler(nodes ...*node.Node) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = Write(w, nodes...)
	})
}

// Write writes the metrics of nodes to w, one family at a time, each with
// its HELP and TYPE lines. Closed nodes are skipped.
func Write(w io.Writer, nodes ...*node.Node) error {
	var stats []node.Stats
	for _, n := range nodes {
		if st, err := n.Stats(); err == nil {
			stats = append(stats, st)
		}
	}
	bw := bufio.NewWriter(w)
	for _, f := range families {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.kind)
		for i := range stats {
			for _, s := range f.samples(&stats[i]) {
				writeSample(bw, f.name, stats[i].ID.String(), s)
			}
		}
	}
	return bw.Flush()
}

// sample is one value with extra labels (name=value pairs).
type sample struct {
	labels []string
	value  float64
}

func writeSample(w *bufio.Writer, name, id string, s sample) {
	w.WriteString(name)
	w.WriteString(`{node="`)
	w.WriteString(id)
	w.WriteByte('"')
	for i := 0; i+1 < len(s.labels); i += 2 {
		fmt.Fprintf(w, ",%s=%q", s.labels[i], escape(s.labels[i+1]))
	}
	w.WriteString("} ")
	w.WriteString(strconv.FormatFloat(s.value, 'g', -1, 64))
	w.WriteByte('\n')
}

// escape keeps label values to what %q and the format agree on.
func escape(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// family is one metric family.
type family struct {
	name, help, kind string
	samples          func(*node.Stats) []sample
}

func one(v uint64) []sample { return []sample{{value: float64(v)}} }

// byCause turns drop counters into one sample per non-zero cause.
func byCause[C fmt.Stringer](counts []uint64, cause func(int) C) []sample {
	var out []sample
	for i, v := range counts {
		if v > 0 {
			out = append(out, sample{labels: []string{"cause", cause(i).String()}, value: float64(v)})
		}
	}
	return out
}

var families = []family{
	{"gwyh_peers", "Connected peers.", "gauge", func(s *node.Stats) []sample { return one(uint64(len(s.Peers))) }},
	{"gwyh_messages_received_total", "Messages received, first copies and duplicates.", "counter", func(s *node.Stats) []sample { return one(s.Router.MsgsIn) }},
	{"gwyh_messages_sent_total", "Message copies sent to peers.", "counter", func(s *node.Stats) []sample { return one(s.Router.MsgsOut) }},
	{"gwyh_messages_published_total", "Messages published by this node.", "counter", func(s *node.Stats) []sample { return one(s.Router.Published) }},
	{"gwyh_messages_delivered_total", "Messages delivered to local subscribers.", "counter", func(s *node.Stats) []sample { return one(s.Router.Delivered) }},
	{"gwyh_duplicates_total", "Received copies of messages already seen.", "counter", func(s *node.Stats) []sample { return one(s.Router.Duplicates) }},
	{"gwyh_validations_total", "Validation outcomes.", "counter", func(s *node.Stats) []sample {
		r := s.Router
		return []sample{
			{[]string{"result", "accept"}, float64(r.ValidationAccept)},
			{[]string{"result", "reject"}, float64(r.ValidationReject)},
			{[]string{"result", "ignore"}, float64(r.ValidationIgnore)},
			{[]string{"result", "throttled"}, float64(r.ValidationThrottled)},
			{[]string{"result", "timeout"}, float64(r.ValidationTimeout)},
		}
	}},
	{"gwyh_control_total", "Control messages by kind and direction.", "counter", func(s *node.Stats) []sample {
		r := s.Router
		c := func(kind, dir string, v uint64) sample { return sample{[]string{"kind", kind, "dir", dir}, float64(v)} }
		return []sample{
			c("graft", "out", r.GraftSent), c("graft", "in", r.GraftRecv),
			c("prune", "out", r.PruneSent), c("prune", "in", r.PruneRecv),
			c("ihave", "out", r.IHaveSent), c("ihave", "in", r.IHaveRecv),
			c("iwant", "out", r.IWantSent), c("iwant", "in", r.IWantRecv),
			c("idontwant", "out", r.IDontWantSent), c("idontwant", "in", r.IDontWantRecv),
		}
	}},
	{"gwyh_router_drops_total", "Drops by the router, by cause.", "counter", func(s *node.Stats) []sample {
		return byCause(s.Router.Drops[:], func(i int) router.DropCause { return router.DropCause(i) })
	}},
	{"gwyh_transport_drops_total", "Drops by the transport, by cause.", "counter", func(s *node.Stats) []sample {
		return byCause(s.Transport.Drops[:], func(i int) transport.DropCause { return transport.DropCause(i) })
	}},
	{"gwyh_node_drops_total", "Drops by the node runtime, by cause.", "counter", func(s *node.Stats) []sample {
		return byCause(s.NodeDrops[:], func(i int) node.DropCause { return node.DropCause(i) })
	}},
	{"gwyh_transport_packets_total", "Datagrams on the wire.", "counter", func(s *node.Stats) []sample {
		return []sample{{[]string{"dir", "in"}, float64(s.Transport.PacketsIn)}, {[]string{"dir", "out"}, float64(s.Transport.PacketsOut)}}
	}},
	{"gwyh_transport_bytes_total", "Bytes on the wire, headers included.", "counter", func(s *node.Stats) []sample {
		return []sample{{[]string{"dir", "in"}, float64(s.Transport.BytesIn)}, {[]string{"dir", "out"}, float64(s.Transport.BytesOut)}}
	}},
	{"gwyh_topic_mesh_peers", "Mesh peers per joined topic.", "gauge", func(s *node.Stats) []sample {
		var out []sample
		for _, t := range s.Topics {
			out = append(out, sample{[]string{"topic", t.Name}, float64(len(t.Mesh))})
		}
		return out
	}},
	{"gwyh_subscription_lost_total", "Messages slow subscriptions dropped (oldest first), per topic.", "counter", func(s *node.Stats) []sample {
		var out []sample
		for _, t := range s.Topics {
			out = append(out, sample{[]string{"topic", t.Name}, float64(t.Lost)})
		}
		return out
	}},
	{"gwyh_peer_score", "Score of each connected peer (0 with scoring off).", "gauge", func(s *node.Stats) []sample {
		out := make([]sample, 0, len(s.Peers))
		for _, p := range s.Peers {
			out = append(out, sample{[]string{"peer", p.ID.String()}, p.Score})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].labels[1] < out[j].labels[1] })
		return out
	}},
}
