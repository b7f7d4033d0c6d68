package membership

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkSteadyState reports what membership costs each node once a
// cluster formed: N nodes come up 100 a second through one seed on links of
// 100 ms ± 50 ms, run a minute, and are then measured for a minute. The
// metrics are per node per virtual second: payload bytes, messages, and
// wire bytes with 60 bytes of IP, UDP and gwyh overhead per message
// (push-pull, amortized over its interval, is in the window only when it
// falls there). ns/op is the host's time to simulate one such minute.
//
//	go test -run '^$' -bench SteadyState -benchtime 1x ./membership
func BenchmarkSteadyState(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				nt := newNet(b, n, 3, LANParams())
				nt.latency, nt.jitter = 100*time.Millisecond, 50*time.Millisecond
				for i, nd := range nt.nodes {
					if i == 0 {
						continue
					}
					nd.m.Join(nt.now, nt.nodes[0].id, nt.nodes[0].m.Self().Addr)
					nt.drain(nd)
					if i%10 == 0 {
						nt.run(100 * time.Millisecond)
					}
				}
				nt.run(time.Minute)
				before := totals(nt)
				b.StartTimer()
				nt.run(time.Minute)
				b.StopTimer()
				after := totals(nt)
				bytes := float64(after.BytesSent-before.BytesSent) / float64(n) / 60
				msgs := float64(after.MessagesSent-before.MessagesSent) / float64(n) / 60
				b.ReportMetric(bytes, "payloadB/node/s")
				b.ReportMetric(msgs, "msgs/node/s")
				b.ReportMetric(bytes+60*msgs, "wireB/node/s")
				if !nt.converged() {
					b.Fatal("not converged after a minute")
				}
			}
		})
	}
}

func totals(nt *tnet) Stats {
	var s Stats
	for _, nd := range nt.nodes {
		st := nd.m.Stats()
		s.BytesSent += st.BytesSent
		s.MessagesSent += st.MessagesSent
	}
	return s
}

// formedCluster returns n nodes on links of 100 ms ± 50 ms that came up
// 100 a second through node 0 and ran for settle, plus one node that has
// not joined (the last).
func formedCluster(tb testing.TB, n int, settle time.Duration) *tnet {
	nt := newNet(tb, n+1, 3, LANParams())
	nt.latency, nt.jitter = 100*time.Millisecond, 50*time.Millisecond
	for i, nd := range nt.nodes[:n] {
		if i == 0 {
			continue
		}
		nd.m.Join(nt.now, nt.nodes[0].id, nt.nodes[0].m.Self().Addr)
		nt.drain(nd)
		if i%10 == 0 {
			nt.run(100 * time.Millisecond)
		}
	}
	nt.run(settle)
	return nt
}

// joinKnownByAll joins the spare node through a member in the middle and
// returns how long until every member holds it alive (0: not within 30 s).
func joinKnownByAll(nt *tnet) time.Duration {
	n := len(nt.nodes) - 1
	j, via := nt.nodes[n], nt.nodes[n/2]
	j.m.Join(nt.now, via.id, via.m.Self().Addr)
	nt.drain(j)
	for step := 1; step <= 300; step++ {
		nt.run(100 * time.Millisecond)
		known := 0
		for _, nd := range nt.nodes[:n] {
			if m, ok := nd.m.Member(j.id); ok && m.State == StateAlive {
				known++
			}
		}
		if known == n {
			return time.Duration(step) * 100 * time.Millisecond
		}
	}
	return 0
}

// BenchmarkJoinIntoCluster reports how long a node that joins a formed
// cluster through any member takes to be known alive by every member
// (virtual seconds, to the 100 ms).
//
//	go test -run '^$' -bench JoinIntoCluster -benchtime 1x ./membership
func BenchmarkJoinIntoCluster(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				nt := formedCluster(b, n, time.Minute)
				b.StartTimer()
				d := joinKnownByAll(nt)
				if d == 0 {
					b.Fatal("the join was not known to all within 30 s")
				}
				b.ReportMetric(d.Seconds(), "s-known-by-all")
			}
		})
	}
}

// BenchmarkCrashDetection crashes every tenth member of a formed cluster
// of 1,000 at once and reports, over the (crashed, live) pairs, when the
// live member declared or learnt the death: p50 and p99 in virtual
// seconds, and pairs never learnt within 10 s.
//
//	go test -run '^$' -bench CrashDetection -benchtime 1x ./membership
func BenchmarkCrashDetection(b *testing.B) {
	const n = 1000
	for range b.N {
		b.StopTimer()
		nt := formedCluster(b, n, time.Minute)
		nt.nodes[n].crashed = true // the spare never joins
		var dead []int
		for i := 0; i < n; i += 10 {
			nt.nodes[i].crashed = true
			dead = append(dead, i)
		}
		b.StartTimer()
		start := nt.now
		learnt := map[[2]int]time.Duration{}
		for range 200 {
			nt.run(50 * time.Millisecond)
			for _, nd := range nt.nodes[:n] {
				if nd.crashed {
					continue
				}
				for _, d := range dead {
					k := [2]int{nd.i, d}
					if _, ok := learnt[k]; ok {
						continue
					}
					if st, ok := nt.stateAt(nd.i, d); ok && st == StateDead {
						learnt[k] = nt.now.Sub(start)
					}
				}
			}
		}
		b.StopTimer()
		ts := make([]time.Duration, 0, len(learnt))
		for _, v := range learnt {
			ts = append(ts, v)
		}
		slices.Sort(ts)
		b.ReportMetric(ts[len(ts)/2].Seconds(), "p50-s")
		b.ReportMetric(ts[len(ts)*99/100].Seconds(), "p99-s")
		b.ReportMetric(float64((n-len(dead))*len(dead)-len(ts)), "missed")
	}
}
