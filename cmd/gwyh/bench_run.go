package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gwyh/gwyh/node"
)

// benchRun is one measured run.
type benchRun struct {
	f       benchFlags
	c       *cluster
	msgs    int
	stderr  io.Writer
	base    totals
	cpu0    float64
	errs    int // Publish errors but ErrPartial
	partial int // Publish calls some peers' full queues refused (ErrPartial)
}

func (b *benchRun) run() benchResult {
	start := time.Now()
	var elapsed time.Duration
	var timedOut bool
	if b.f.scenario == "throughput" {
		elapsed, timedOut = b.throughput(start)
	} else {
		b.latency(start)
		timedOut = !b.waitComplete(start, b.f.timeout)
		elapsed = time.Since(start)
	}
	return b.result(elapsed, timedOut)
}

// publisher returns the node index publishing message seq.
func (b *benchRun) publisher(seq int) int { return seq % b.f.publishers }

// publish publishes message seq from its publisher and counts what
// Publish reports: ErrPartial apart (the message left; the peers that got
// it forward it), every other error in errs.
func (b *benchRun) publish(ctx context.Context, seq int) {
	h := b.c.handles[b.publisher(seq)]
	_, err := h.Publish(ctx, payload(uint64(seq), b.f.size))
	switch {
	case err == nil:
	case errors.Is(err, node.ErrPartial):
		b.partial++
	default:
		b.errs++
	}
}

// throughput publishes every message, keeping at most window in flight,
// and returns the time until every node has every message.
func (b *benchRun) throughput(start time.Time) (time.Duration, bool) {
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(b.f.timeout))
	defer cancel()
	rec := b.c.rec
	report := time.NewTicker(time.Second)
	defer report.Stop()
	for seq := 0; seq < b.msgs; seq++ {
		for b.f.window > 0 && int64(seq)-rec.complete.Load() >= int64(b.f.window) {
			select {
			case <-rec.done:
			case <-report.C:
				b.progress(start, seq)
			case <-ctx.Done():
				return time.Since(start), true
			}
		}
		b.publish(ctx, seq)
		select {
		case <-report.C:
			b.progress(start, seq+1)
		default:
		}
	}
	ok := b.waitComplete(start, time.Until(start.Add(b.f.timeout)))
	return time.Since(start), !ok
}

// latency publishes at the configured rate for the configured time.
func (b *benchRun) latency(start time.Time) {
	interval := time.Duration(float64(time.Second) / float64(b.f.rate))
	report := time.NewTicker(time.Second)
	defer report.Stop()
	for seq := 0; seq < b.msgs; seq++ {
		due := start.Add(time.Duration(seq) * interval)
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-report.C:
				b.progress(start, seq)
				<-t.C
			}
		}
		b.publish(context.Background(), seq)
	}
}

// waitComplete waits until every message reached every node.
func (b *benchRun) waitComplete(start time.Time, limit time.Duration) bool {
	deadline := time.NewTimer(max(limit, 0))
	defer deadline.Stop()
	report := time.NewTicker(time.Second)
	defer report.Stop()
	rec := b.c.rec
	for rec.complete.Load() < int64(b.msgs) {
		select {
		case <-rec.done:
		case <-report.C:
			b.progress(start, b.msgs)
		case <-deadline.C:
			return false
		}
	}
	return true
}

func (b *benchRun) progress(start time.Time, published int) {
	rec := b.c.rec
	fmt.Fprintf(b.stderr, "bench: %5.1fs published %d, complete %d, deliveries %d\n",
		time.Since(start).Seconds(), published, rec.complete.Load(), rec.total.Load())
}

func (b *benchRun) result(elapsed time.Duration, timedOut bool) benchResult {
	f := b.f
	t := b.c.totals()
	p50, p90, p99, mx := b.c.rec.percentiles()
	per := float64(b.msgs) * float64(f.n)
	drops := map[string]uint64{}
	for k, v := range t.drops {
		if d := v - b.base.drops[k]; d > 0 {
			drops[k] = d
		}
	}
	r := benchResult{
		Impl: "gwyh", Scenario: f.scenario, Net: "udp", N: f.n, Degree: f.degree, D: f.d,
		Publishers: f.publishers, Msgs: b.msgs, Size: f.size, Rate: f.rate, Seconds: f.seconds,
		Sign:              f.sign,
		DeliveryRatio:     float64(b.c.rec.total.Load()) / (float64(b.msgs) * float64(f.n-1)),
		LatP50us:          p50.Microseconds(),
		LatP90us:          p90.Microseconds(),
		LatP99us:          p99.Microseconds(),
		LatMaxus:          mx.Microseconds(),
		DupPerMsgPerNode:  float64(t.duplicates-b.base.duplicates) / per,
		BytesPerMsgPerNod: float64(t.bytesOut-b.base.bytesOut) / per,
		PktsPerMsgPerNode: float64(t.packetsOut-b.base.packetsOut) / per,
		PktsPerWriteBatch: ratio(t.packetsOut-b.base.packetsOut, t.writeBatches-b.base.writeBatches),
		PktsPerReadBatch:  ratio(t.packetsIn-b.base.packetsIn, t.readBatches-b.base.readBatches),
		PeakRSSMB:         peakRSSMB(),
		CPUs:              cpuSeconds() - b.cpu0,
		HeapInuseMB:       heapInuseMB(),
		Scoring:           f.scoring,
		Window:            f.window,
		Rejected:          b.errs,
		Partial:           b.partial,
		TimedOut:          timedOut,
		Drops:             drops,
		SubLost:           t.lost - b.base.lost,
		Chokes:            t.chokes - b.base.chokes,
		Unchokes:          t.unchokes - b.base.unchokes,
		ChokedIHave:       t.chokedIHave - b.base.chokedIHave,
		ElapsedS:          elapsed.Seconds(),
	}
	r.PeakRSSMBPerNode = r.PeakRSSMB / float64(f.n)
	if f.scenario == "throughput" {
		r.MsgsPerSec = float64(b.msgs) / elapsed.Seconds()
	} else {
		r.MsgsPerSec = float64(b.msgs) / f.seconds
	}
	return r
}

// heapInuseMB collects garbage and returns the Go heap in use (MiB).
func heapInuseMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// ratio returns n/d, or 0 when d is 0 (no batch call in the run).
func ratio(n, d uint64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
