package router

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
)

// benchRouter returns a StrictNoSign router joined to "t" with a mesh of
// D=6 and a seventh topic peer outside the mesh, which it returns as the
// sender, so that every forward goes to all six mesh peers.
func benchRouter(b *testing.B, mod func(*Config)) (*Router, peer.ID) {
	e := newJoinedEnv(b, mod, 7)
	r := e.r
	mesh := r.Mesh("t")
	if len(mesh) != 6 {
		b.Fatalf("mesh of %d", len(mesh))
	}
	for i := 1; i <= 7; i++ {
		if !slices.Contains(mesh, pid(i)) {
			return r, pid(i)
		}
	}
	b.Fatal("no sender outside the mesh")
	return nil, peer.ID{}
}

// benchForward measures one HandleRPC with one new 256 B message, then
// Ready. Time advances one heartbeat every 1000 messages (1000 msg/s of
// virtual traffic) so the caches stay at their steady-state size.
func benchForward(b *testing.B, mod func(*Config)) {
	r, from := benchRouter(b, mod)
	forwardLoop(b, r, from)
}

// forwardLoop is benchForward's measured loop.
func forwardLoop(b *testing.B, r *Router, from peer.ID) {
	bufs := payloadRing()
	m := &rpc.RPC{Publish: make([]rpc.Message, 1)}
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = steadyTick(r, now, i)
		data := bufs[i%len(bufs)]
		binary.BigEndian.PutUint64(data, uint64(i)+1)
		m.Publish[0] = rpc.Message{Data: data, Topic: "t"}
		r.HandleRPC(now, from, m)
		out := r.Ready()
		if len(out.Sends) != 6 || len(out.Deliveries) != 1 {
			b.Fatalf("op %d: %d sends, %d deliveries", i, len(out.Sends), len(out.Deliveries))
		}
	}
	reportRate(b)
}

// steadyTick advances now by a heartbeat and ticks r every 1000th
// message i (1000 msg/s of virtual traffic), so the caches stay at their
// steady-state size.
func steadyTick(r *Router, now time.Time, i int) time.Time {
	if i%1000 == 999 {
		now = now.Add(time.Second)
		r.Tick(now)
		r.Ready()
	}
	return now
}

// reportRate reports messages handled per second of benchmark time.
func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "msg/s")
	}
}

// BenchmarkRouterForward: one RPC with one new 256 B message in a topic
// with a D=6 mesh, StrictNoSign, a cheap custom id (the first 8 data
// bytes), through HandleRPC, then Ready.
func BenchmarkRouterForward(b *testing.B) { benchForward(b, nil) }

// BenchmarkRouterForwardContentID is the same with the StrictNoSign
// default id, SHA-256 of topic and data.
func BenchmarkRouterForwardContentID(b *testing.B) {
	benchForward(b, func(c *Config) { c.AppendMessageID = nil })
}

// BenchmarkRouterDuplicate: the same RPC carrying an already-seen message.
func BenchmarkRouterDuplicate(b *testing.B) { benchDuplicate(b, nil) }

// BenchmarkRouterDuplicateContentID is the same with the StrictNoSign
// default id: the id memo spares the copy SHA-256.
func BenchmarkRouterDuplicateContentID(b *testing.B) {
	benchDuplicate(b, func(c *Config) { c.AppendMessageID = nil })
}

func benchDuplicate(b *testing.B, mod func(*Config)) {
	r, from := benchRouter(b, mod)
	data := make([]byte, 256)
	m := &rpc.RPC{Publish: []rpc.Message{{Data: data, Topic: "t"}}}
	r.HandleRPC(t0, from, m)
	r.Ready()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.HandleRPC(t0, from, m)
		if out := r.Ready(); len(out.Sends) != 0 {
			b.Fatal("duplicate forwarded")
		}
	}
	reportRate(b)
	if got := r.Stats().Duplicates; got != uint64(b.N) {
		b.Fatalf("duplicates %d, want %d", got, b.N)
	}
}

// BenchmarkRouterForwardPayload is BenchmarkRouterForward through
// HandlePayload: the sender's rpc.Pack and our rpc.Decode are included in
// the time (the Sends are not packed).
func BenchmarkRouterForwardPayload(b *testing.B) {
	r, from := benchRouter(b, nil)
	const ring = 8192
	m := &rpc.RPC{Publish: make([]rpc.Message, 1)}
	payloads := make([][]byte, ring)
	data := make([]byte, 256)
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = steadyTick(r, now, i)
		binary.BigEndian.PutUint64(data, uint64(i)+1)
		m.Publish[0] = rpc.Message{Data: data, Topic: "t"}
		// Pack into a ring of buffers: the router keeps each payload for
		// as long as the message stays cached.
		pl := rpc.Pack(payloads[i%ring:i%ring+1], m, 1400)
		payloads[i%ring] = pl[0]
		if err := r.HandlePayload(now, from, pl[0]); err != nil {
			b.Fatal(err)
		}
		if out := r.Ready(); len(out.Sends) != 6 {
			b.Fatalf("%d sends", len(out.Sends))
		}
	}
}

// zonedBench places the bench router in zone "a" under strategy s: peer i
// is in zone "a" when i is even (else "b") with an RTT of i ms.
func zonedBench(s Strategy) func(*Config) {
	return func(c *Config) { c.Params.Strategy, c.Zone = s, "a" }
}

// placeBenchPeers gives peers 1..n the zones and RTTs of zonedBench.
func placeBenchPeers(r *Router, n int) {
	for i := 1; i <= n; i++ {
		r.SetPeerZone(t0, pid(i), map[bool]string{true: "a", false: "b"}[i%2 == 0])
		r.SetRTT(t0, pid(i), time.Duration(i)*time.Millisecond)
	}
	r.Ready()
}

// BenchmarkRouterForwardPreferFast is BenchmarkRouterForward under
// PreferFast with zones and RTTs known: the mesh's send order is built
// once, not per message.
func BenchmarkRouterForwardPreferFast(b *testing.B) {
	benchForwardPlaced(b, PreferFast)
}

// BenchmarkRouterForwardPreferLocal: the same under PreferLocal.
func BenchmarkRouterForwardPreferLocal(b *testing.B) {
	benchForwardPlaced(b, PreferLocal)
}

func benchForwardPlaced(b *testing.B, s Strategy) {
	r, from := benchRouter(b, zonedBench(s))
	placeBenchPeers(r, 7)
	forwardLoop(b, r, from)
}

// benchPublish measures one Publish of a new 256 B message to a topic with
// peers topic peers (all of them under FloodPublish, else the D=6 mesh),
// then Ready, under strategy s with zones and RTTs known.
func benchPublish(b *testing.B, s Strategy, flood bool, peers int) {
	e := newJoinedEnv(b, func(c *Config) {
		zonedBench(s)(c)
		c.Params.FloodPublish = flood
	}, peers)
	r := e.r
	placeBenchPeers(r, peers)
	want := peers
	if !flood {
		want = len(r.Mesh("t"))
	}
	bufs := payloadRing()
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = steadyTick(r, now, i)
		data := bufs[i%len(bufs)]
		binary.BigEndian.PutUint64(data, uint64(i)+1)
		if _, err := r.Publish(now, "t", data); err != nil {
			b.Fatal(err)
		}
		if out := r.Ready(); len(out.Sends) != want {
			b.Fatalf("op %d: %d sends, want %d", i, len(out.Sends), want)
		}
	}
	reportRate(b)
}

// BenchmarkRouterPublishFlood: Publish with FloodPublish to 30 topic peers.
func BenchmarkRouterPublishFlood(b *testing.B) { benchPublish(b, Uniform, true, 30) }

// BenchmarkRouterPublishFloodPreferLocal is the same under PreferLocal.
func BenchmarkRouterPublishFloodPreferLocal(b *testing.B) { benchPublish(b, PreferLocal, true, 30) }

// BenchmarkRouterPublishMesh: Publish without FloodPublish, to the mesh.
func BenchmarkRouterPublishMesh(b *testing.B) { benchPublish(b, Uniform, false, 30) }

// BenchmarkRouterPublishMeshPreferFast is the same under PreferFast.
func BenchmarkRouterPublishMeshPreferFast(b *testing.B) { benchPublish(b, PreferFast, false, 30) }

// payloadRing returns 8,192 buffers of 256 bytes for a benchmark's
// messages: more than HistoryLength × 1,000 messages, so that data still
// cached is never rewritten.
func payloadRing() [][]byte {
	bufs := make([][]byte, 8192)
	for i := range bufs {
		bufs[i] = make([]byte, 256)
	}
	return bufs
}
