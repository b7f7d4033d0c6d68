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

// benchWindow stays a little below a lone peer's share of the Events
// queue (half of the default 4096): the queue may release a charge one
// event late (see eventQueue.held), which at exactly the share drops one.
const benchWindow = 2000

var benchSizes = []int{64, 1024, 1400}

// BenchmarkLoopbackRaw is the socket alone, one datagram per message of
// sendmmsg and recvmmsg (UDP GSO and GRO off): the reference the
// transport's packets/s are compared with.
func BenchmarkLoopbackRaw(b *testing.B) { benchRaw(b, false) }

// BenchmarkLoopbackRawOffload is the socket alone with UDP GSO and GRO
// (Linux): the ceiling for 64-datagram bursts of one size.
func BenchmarkLoopbackRawOffload(b *testing.B) { benchRaw(b, true) }

func benchRaw(b *testing.B, offload bool) {
	bufSize, bufs := 2048, 64
	if offload {
		bufSize, bufs = transport.CoalesceBufferSize, 8 // as the Conn's reader
	}
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
			if !offload {
				transport.DisableOffload(tx)
				transport.DisableOffload(rx)
			}
			var got atomic.Int64
			sem := make(chan struct{}, benchWindow)
			done := make(chan struct{})
			go func() {
				defer close(done)
				pkts := make([]transport.Packet, bufs)
				for i := range pkts {
					pkts[i].Buf = make([]byte, bufSize)
				}
				for {
					n, err := rx.ReadBatch(pkts)
					if err != nil {
						return
					}
					k := 0
					for i := range n {
						k++
						if seg := pkts[i].Segment; seg > 0 {
							k += (pkts[i].N+seg-1)/seg - 1
						}
					}
					for range k {
						<-sem
					}
					got.Add(int64(k))
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

// BenchmarkLoopback is two Conns with default Options: UDP GSO where the
// kernel has it.
func BenchmarkLoopback(b *testing.B) { benchConns(b, true, false) }

// BenchmarkLoopbackGRO is BenchmarkLoopback with CoalesceReceives (UDP
// GRO) as well.
func BenchmarkLoopbackGRO(b *testing.B) { benchConns(b, true, true) }

// BenchmarkLoopbackNoOffload is BenchmarkLoopback with GSO and GRO off.
func BenchmarkLoopbackNoOffload(b *testing.B) { benchConns(b, false, false) }

func benchConns(b *testing.B, offload, gro bool) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			listen := func(n int) *transport.Conn {
				s, err := transport.ListenUDP("127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				if !offload {
					transport.DisableOffload(s)
				}
				c, err := transport.Listen("", identity(b, n), transport.Options{PeerDownTimeout: time.Minute, Socket: s, CoalesceReceives: gro})
				if err != nil {
					b.Fatal(err)
				}
				return c
			}
			a := listen(1)
			defer a.Close()
			c := listen(2)
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
