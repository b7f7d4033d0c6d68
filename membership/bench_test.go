package membership

import (
	"fmt"
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
