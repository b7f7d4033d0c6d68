package transport

import "time"

// pacer is a token bucket whose rate follows AIMD on the loss the peer
// reports. With no loss the rate doubles per report until the first loss
// (slow start), then grows by 1/8 per report; a report with more than
// lossThreshold loss cuts it to 3/4 (at most once per report). The rate stays
// in [floor, ceiling]. Not safe for concurrent use (guarded by the peer's
// mutex); time comes in as now.
type pacer struct {
	rate, floor, ceiling float64 // bytes per second
	tokens               float64
	last                 time.Time
	slowStart            bool
	loss                 float64 // EWMA of reported loss
}

const (
	lossThreshold = 0.02
	// pacerBurst is how much sending time the bucket may hold.
	pacerBurst = 4 * time.Millisecond
	// minBurstBytes lets a whole batch of MTU packets out at once.
	minBurstBytes = 96 << 10
)

func newPacer(initial, floor, ceiling float64, now time.Time) pacer {
	return pacer{rate: initial, floor: floor, ceiling: ceiling, last: now, slowStart: true, tokens: minBurstBytes}
}

func (p *pacer) burst() float64 {
	return max(minBurstBytes, p.rate*pacerBurst.Seconds())
}

func (p *pacer) refill(now time.Time) {
	if dt := now.Sub(p.last); dt > 0 {
		p.tokens = min(p.burst(), p.tokens+dt.Seconds()*p.rate)
		p.last = now
	}
}

// allow reports whether n bytes may go now (the bucket may go negative by
// one packet, which the next refill repays).
func (p *pacer) allow(now time.Time) bool {
	p.refill(now)
	return p.tokens > 0
}

// spend takes n bytes from the bucket.
func (p *pacer) spend(n int) { p.tokens -= float64(n) }

// wait is how long until allow would be true.
func (p *pacer) wait() time.Duration {
	if p.tokens > 0 {
		return 0
	}
	return time.Duration((-p.tokens + 1) / p.rate * float64(time.Second))
}

// onLoss applies one receiver report's loss fraction.
func (p *pacer) onLoss(loss float64) {
	p.loss = 0.75*p.loss + 0.25*loss
	switch {
	case loss > lossThreshold:
		p.rate *= 0.75
		p.slowStart = false
	case p.slowStart:
		p.rate *= 2
	default:
		p.rate += p.rate / 8
	}
	p.rate = min(p.ceiling, max(p.floor, p.rate))
}
