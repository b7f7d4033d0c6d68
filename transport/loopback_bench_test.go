package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
)

// Loopback benchmarks: one sender and one receiver on 127.0.0.1, datagrams
// of the named size on the wire. Both keep at most benchWindow payloads in
// flight (a semaphore the receiver releases) so that neither overruns the
// receive buffer. Reported: msgs/s
// (payloads delivered) and pkts/s (datagrams received).
//
//	go test -run=^$ -bench=Loopback -benchmem ./transport

const benchWindow = 2048

var benchSizes = []int{64, 1024, 1400}

func BenchmarkLoopbackRaw(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			tx, err := transport.ListenUDP("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Close()
			rx, err := transport.ListenUDP("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var got atomic.Int64
			sem := make(chan struct{}, benchWindow)
			done := make(chan struct{})
			go func() {
				defer close(done)
				pkts := make([]transport.Packet, 64)
				for i := range pkts {
					pkts[i].Buf = make([]byte, 2048)
				}
				for {
					n, err := rx.ReadBatch(pkts)
					if err != nil {
						return
					}
					for range n {
						<-sem
					}
					got.Add(int64(n))
				}
			}()
			batch := make([]transport.Packet, 64)
			for i := range batch {
				batch[i] = transport.Packet{Buf: make([]byte, size), Addr: rx.LocalAddr()}
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			sent := 0
			for sent < b.N {
				n := min(len(batch), b.N-sent)
				for range n {
					sem <- struct{}{}
				}
				if err := tx.WriteBatch(batch[:n]); err != nil {
					b.Fatal(err)
				}
				sent += n
			}
			waitAll(b, &got, b.N)
			el := time.Since(start).Seconds()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el, "msgs/s")
			b.ReportMetric(float64(got.Load())/el, "pkts/s")
			rx.Close()
			<-done
		})
	}
}

func BenchmarkLoopback(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			o := transport.Options{PeerDownTimeout: time.Minute}
			a, err := transport.Listen("127.0.0.1:0", identity(b, 1), o)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			c, err := transport.Listen("127.0.0.1:0", identity(b, 2), o)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := a.Dial(ctx, c.LocalAddr().String(), peer.ID{}); err != nil {
				b.Fatal(err)
			}
			var got atomic.Int64
			sem := make(chan struct{}, benchWindow)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ev := range c.Events() {
					if ev.Kind == transport.EventPayload {
						<-sem
						got.Add(1)
					}
				}
			}()
			payload := make([]byte, size-32-3) // one datagram of size bytes
			before := c.Stats().PacketsIn
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				sem <- struct{}{}
				for {
					err := a.Send(c.ID(), payload, transport.PriorityMessage)
					if err == nil {
						break
					}
					if !errors.Is(err, transport.ErrQueueFull) {
						b.Fatal(err)
					}
					runtime.Gosched()
				}
			}
			waitAll(b, &got, b.N)
			el := time.Since(start).Seconds()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el, "msgs/s")
			b.ReportMetric(float64(c.Stats().PacketsIn-before)/el, "pkts/s")
			st, _ := a.PeerStats(c.ID())
			sa, sc := a.Stats(), c.Stats()
			b.Logf("rate %.0f loss %.3f rtt %v; pkts/write %.1f pkts/read %.1f", st.SendRate, st.Loss, st.RTT,
				float64(sa.PacketsOut)/float64(sa.WriteBatches), float64(sc.PacketsIn)/float64(sc.ReadBatches))
			c.Close()
			<-done
		})
	}
}

// waitAll waits until n payloads arrived.
func waitAll(b *testing.B, got *atomic.Int64, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("lost %d of %d", int64(n)-got.Load(), n)
		}
		runtime.Gosched()
	}
}

var _ = netip.AddrPort{}
