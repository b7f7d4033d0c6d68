package sim

import (
	"testing"
	"time"
)

// chain is three honest nodes in a line, 0 – 1 – 2, that know no seed:
// the scripted dials are the whole topology. Each node keeps every peer
// in its mesh, so a message travels one hop per link.
func chain(msgs int) Scenario {
	return Scenario{
		Name:     "chain",
		Nodes:    3,
		Net:      Network{Latency: Latency{Base: time.Millisecond}, Overhead: 35},
		Topology: Topology{PeersLow: 1, Dials: [][2]int{{0, 1}, {1, 2}}, Seedless: true},
		Traffic:  Traffic{Messages: msgs, Size: 64, Rate: 20, Start: 3 * time.Second},
	}
}

// The hop count histogram on a line of three: a message from the middle
// reaches both ends in one hop, one from an end reaches the middle in one
// and the far end in two. So every message is delivered twice, and hop 2
// counts the messages published at an end (some, not all). With a seed
// (node 0) or without the scripted dials the line would be a triangle or
// nothing, and no delivery would take two hops.
func TestHopHistChain(t *testing.T) {
	const msgs = 40
	r := run(t, chain(msgs), 1)
	if r.DeliveryRatio != 1 {
		t.Fatalf("delivery %v on a line of three", r.DeliveryRatio)
	}
	h := r.HopHist
	if len(h) != 3 || h[0] != 0 || h[1]+h[2] != 2*msgs || h[2] == 0 || h[2] == msgs {
		t.Fatalf("hop_hist %v: want [0, %d−k, k], k in (0, %d) the messages published at an end", h, 2*msgs, msgs)
	}
	if got := r.MeshDegreeHist; len(got) != 3 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("mesh_degree_hist %v, want two ends of degree 1 and a middle of degree 2", got)
	}
}

// Network.Control adds the transport's pings and pongs (two packets per
// connection end each PingInterval) and receiver reports (at most one per
// peer heard from each ReportInterval) on the wire, and changes nothing
// else.
func TestControlPackets(t *testing.T) {
	const msgs = 20
	sc := chain(msgs)
	off := run(t, sc, 1)
	sc.Net.Control = Control{PingInterval: time.Second, PingBytes: 41}
	ping := run(t, sc, 1)
	rounds := int64(sc.Traffic.end() / time.Second) // ping rounds in the run
	// Two links, four connection ends, a ping and a pong each.
	if d := int64(ping.Packets - off.Packets); d != 8*rounds {
		t.Errorf("pings: %d more packets, want %d", d, 8*rounds)
	}
	wantBytes := float64(8*rounds*41) / float64(msgs*3)
	if d := ping.BytesPerMsgPerNode - off.BytesPerMsgPerNode; d < wantBytes-0.01 || d > wantBytes+0.01 {
		t.Errorf("pings: %.3f more bytes/msg/node, want %.3f", d, wantBytes)
	}
	if ping.DupPerMsgPerNode != off.DupPerMsgPerNode || ping.LatP99Ms != off.LatP99Ms {
		t.Errorf("pings changed the routers' run: dup %v → %v, p99 %v → %v",
			off.DupPerMsgPerNode, ping.DupPerMsgPerNode, off.LatP99Ms, ping.LatP99Ms)
	}
	sc.Net.Control = Control{ReportInterval: 50 * time.Millisecond, ReportBytes: 61}
	rep := run(t, sc, 1)
	intervals := int64(sc.Traffic.end() / (50 * time.Millisecond))
	if d := int64(rep.Packets - off.Packets); d <= 0 || d > 4*intervals {
		t.Errorf("reports: %d more packets, want 1..%d", d, 4*intervals)
	}
	if w := rep.WindowBytesPerMsgPerNode; w <= off.WindowBytesPerMsgPerNode {
		t.Errorf("reports: window bytes %v, without %v", w, off.WindowBytesPerMsgPerNode)
	}
}

// HeartbeatSpread staggers the routers' heartbeats: nodes that beat
// together graft each other at once and overshoot D; staggered, later
// nodes find their mesh filled by earlier grafts.
func TestHeartbeatSpread(t *testing.T) {
	sc := Scenario{
		Name: "spread", Nodes: 40,
		Net:      Network{Latency: Latency{Base: 100 * time.Microsecond}},
		Topology: Topology{PeersLow: 8, Degree: 8, Seedless: true},
		Traffic:  Traffic{Messages: 20, Size: 64, Rate: 50, Start: 3 * time.Second},
	}
	mean := func(r *Result) float64 {
		var s, n float64
		for d, c := range r.MeshDegreeHist {
			s, n = s+float64(d*c), n+float64(c)
		}
		return s / n
	}
	together := mean(run(t, sc, 1))
	sc.Topology.HeartbeatSpread = time.Second
	spread := mean(run(t, sc, 1))
	if spread >= together-1 {
		t.Errorf("mean mesh degree %.2f with heartbeats in step, %.2f staggered: want staggered lower by more than 1", together, spread)
	}
}
