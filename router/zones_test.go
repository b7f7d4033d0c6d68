package router

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The zoned network: routers in five zones, i in zone "z<i mod 5>",
// each linked to every router of its zone and to about remoteLinks routers
// of other zones (a peer manager's in-zone sessions with enough
// cross-zone ones), with RTTs of 1 ms within a zone and 20-100 ms between
// zones.
const (
	zoneCount   = 5
	remoteLinks = 40
)

func netZone(i int) string { return fmt.Sprintf("z%d", i%zoneCount) }

func netRTT(i, j int) time.Duration {
	zi, zj := i%zoneCount, j%zoneCount
	if zi == zj {
		return time.Millisecond
	}
	d := zi - zj
	if d < 0 {
		d = -d
	}
	// Symmetric per-link jitter of up to 5 ms.
	jit := (min(i, j)*31 + max(i, j)*17) % 5
	return time.Duration(20*d+jit) * time.Millisecond
}

// zonedNet returns n routers under strategy s in the zoned network,
// joined to "t", after settle heartbeats. Flood publishing is off, so
// that messages travel through the meshes alone. Without placed, the
// routers know no zones nor RTTs (the links are the same).
func zonedNet(t testing.TB, n int, s Strategy, seed uint64, settle int, placed bool) *testNet {
	nt := newTestNet(t, n, seed, func(i int, c *Config) {
		c.Params.Strategy, c.Params.FloodPublish = s, false
		if placed {
			c.Zone = netZone(i)
		}
	})
	if placed {
		nt.zone, nt.rtt = netZone, netRTT
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	for i := 0; i < n; i++ {
		for j := i + zoneCount; j < n; j += zoneCount {
			if rng.IntN(2) == 0 {
				nt.connect(i, j)
			} else {
				nt.connect(j, i)
			}
		}
		for k := 0; k < remoteLinks/2; k++ {
			if j := rng.IntN(n); netZone(i) != netZone(j) {
				nt.connect(i, j)
			}
		}
	}
	nt.run()
	nt.joinAll("t")
	nt.advance(time.Duration(settle)*time.Second, time.Second)
	return nt
}

// meshFigures are the figures of a topic's mesh graph.
type meshFigures struct {
	edges, crossEdges int // undirected edges of the union of the meshes
	components        int
	minRemote         int // fewest cross-zone mesh peers of a router with remote topic peers
	uncovered         int // routers whose mesh, below Dhi, lacks another zone of their topic peers
}

func (nt *testNet) meshFigures(topic string) meshFigures {
	n := len(nt.rs)
	adj := make([][]int, n)
	seen := map[[2]int]bool{}
	f := meshFigures{minRemote: 1 << 30}
	for i, r := range nt.rs {
		remote, remoteTopic := 0, 0
		meshZones, topicZones := map[string]bool{}, map[string]bool{}
		for _, q := range r.Mesh(topic) {
			j := nt.idx[q]
			meshZones[netZone(j)] = true
			if netZone(j) != netZone(i) {
				remote++
			}
			if l := link(i, j); !seen[l] {
				seen[l] = true
				adj[i], adj[j] = append(adj[i], j), append(adj[j], i)
				f.edges++
				if netZone(i) != netZone(j) {
					f.crossEdges++
				}
			}
		}
		for _, q := range r.TopicPeers(topic) {
			if j := nt.idx[q]; netZone(j) != netZone(i) {
				topicZones[netZone(j)] = true
				remoteTopic++
			}
		}
		if remoteTopic > 0 {
			f.minRemote = min(f.minRemote, remote)
		}
		// A full mesh takes no HubAndSpoke graft (fillZones).
		for z := range topicZones {
			if !meshZones[z] && len(r.Mesh(topic)) < DefaultParams().Dhi {
				f.uncovered++
				break
			}
		}
	}
	comp := make([]int, n)
	for i := range comp {
		comp[i] = -1
	}
	for i := range comp {
		if comp[i] >= 0 {
			continue
		}
		stack := []int{i}
		comp[i] = f.components
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, w := range adj[v] {
				if comp[w] < 0 {
					comp[w] = f.components
					stack = append(stack, w)
				}
			}
		}
		f.components++
	}
	return f
}

// TestZonedMeshes100Routers runs 100 routers over five zones under every
// strategy: the topic's mesh graph is one component (never split by
// zone), meshes stay in [Dlo, Dhi], PreferLocal keeps RemoteMeshPeers
// cross-zone mesh peers everywhere and far fewer cross-zone edges than
// Uniform, HubAndSpoke covers every zone, and messages published anywhere
// reach all 100 through the meshes alone.
func TestZonedMeshes100Routers(t *testing.T) {
	const n = 100
	p := DefaultParams()
	figs := map[Strategy]meshFigures{}
	for _, s := range []Strategy{Uniform, PreferLocal, HubAndSpoke, PreferFast} {
		nt := zonedNet(t, n, s, 1, 90, true) // beyond PruneBackoff
		f := nt.meshFigures("t")
		figs[s] = f
		t.Logf("%-11v edges %d, cross-zone %d (%.0f%%), components %d, fewest remote mesh peers %d, routers missing a zone %d",
			s, f.edges, f.crossEdges, 100*float64(f.crossEdges)/float64(f.edges), f.components, f.minRemote, f.uncovered)
		if f.components != 1 {
			t.Errorf("%v: the mesh graph has %d components", s, f.components)
		}
		nt.checkMeshBounds("t", p.Dlo, p.Dhi)
		switch s {
		case PreferLocal:
			if f.minRemote < p.RemoteMeshPeers {
				t.Errorf("%v: a router has %d cross-zone mesh peers, want ≥ %d", s, f.minRemote, p.RemoteMeshPeers)
			}
		case HubAndSpoke:
			if f.uncovered != 0 {
				t.Errorf("%v: %d routers' meshes lack a zone of their topic peers", s, f.uncovered)
			}
		}
		rng := rand.New(rand.NewPCG(2, 2))
		var ids []string
		for k := 0; k < 10; k++ {
			ids = append(ids, nt.publish(rng.IntN(n), "t", uint64(k), 64))
			nt.run()
		}
		nt.checkDelivered(s.String()+" message", ids)
	}
	// Uniform's share of cross-zone edges is the links' (about 60%);
	// PreferLocal's is well below it, and under half.
	share := func(f meshFigures) float64 { return float64(f.crossEdges) / float64(f.edges) }
	if u, l := share(figs[Uniform]), share(figs[PreferLocal]); l > 0.7*u || l >= 0.5 {
		t.Errorf("PreferLocal's share of cross-zone mesh edges is %.2f, Uniform's %.2f: want ≤ 0.7× and < 0.5", l, u)
	}
}

// TestUniformIgnoresPlacements: under Uniform, zones and RTTs change
// nothing: every output of a 100-router run is the same with and without
// them (the choices draw from the rng as before strategies existed).
func TestUniformIgnoresPlacements(t *testing.T) {
	run := func(placed bool) []byte {
		nt := zonedNet(t, 100, Uniform, 4, 10, placed)
		rng := rand.New(rand.NewPCG(4, 4))
		for k := 0; k < 20; k++ {
			nt.publish(rng.IntN(100), "t", uint64(k), 64)
			nt.run()
		}
		nt.advance(5*time.Second, time.Second)
		return nt.hash.Sum(nil)
	}
	if string(run(true)) != string(run(false)) {
		t.Fatal("Uniform's outputs depend on zones or RTTs")
	}
}
