// Package pacer is the per-peer send-rate controller of package transport: a
// token bucket that spaces packets out (pacing, RFC 9002 §7.7) whose rate
// follows the loss the peer reports. It borrows RFC 9002 §7.3's shape, not
// its exact rules: the rate doubles per loss-free report until the first loss
// (slow start, §7.3.1), then grows by 1/8 per report (RFC 9002 grows one
// datagram per round trip); a report with more than LossThreshold loss cuts
// it to 3/4 (RFC 9002 halves, §7.3.2). Loss here is a fraction the receiver
// reports, not packets declared lost by acknowledgements. It is for package
// transport only.
package pacer

import "time"

const (
	// LossThreshold is the reported loss fraction above which the rate is
	// cut; below it, loss is taken for noise.
	LossThreshold = 0.02
	// burstTime is how much sending time the bucket may hold.
	burstTime = 4 * time.Millisecond
	// minBurstBytes lets a whole batch of MTU packets out at once.
	minBurstBytes = 96 << 10
)

// Rates are a Pacer's rates, in bytes per second.
type Rates struct {
	Initial float64 // the rate to start at
	Floor   float64 // the rate never goes below this
	Ceiling float64 // the rate never goes above this
}

// Pacer is a token bucket whose rate follows the peer's loss reports. It is
// not safe for concurrent use (transport guards it with the peer's mutex);
// time comes in as now.
type Pacer struct {
	rate, floor, ceiling float64 // bytes per second
	tokens               float64
	last                 time.Time
	slowStart            bool
	loss                 float64 // EWMA of reported loss
}

// New returns a Pacer in slow start at r.Initial, with a full minimum burst.
func New(r Rates, now time.Time) Pacer {
	return Pacer{rate: r.Initial, floor: r.Floor, ceiling: r.Ceiling, last: now, slowStart: true, tokens: minBurstBytes}
}

// Rate is the current send rate in bytes per second.
func (p *Pacer) Rate() float64 { return p.rate }

// Loss is the moving average of the reported loss fractions.
func (p *Pacer) Loss() float64 { return p.loss }

func (p *Pacer) burst() float64 {
	return max(minBurstBytes, p.rate*burstTime.Seconds())
}

func (p *Pacer) refill(now time.Time) {
	if dt := now.Sub(p.last); dt > 0 {
		p.tokens = min(p.burst(), p.tokens+dt.Seconds()*p.rate)
		p.last = now
	}
}

// Allow reports whether a packet may go now (the bucket may go negative by
// one packet, which the next refill repays).
func (p *Pacer) Allow(now time.Time) bool {
	p.refill(now)
	return p.tokens > 0
}

// Spend takes n bytes from the bucket.
func (p *Pacer) Spend(n int) { p.tokens -= float64(n) }

// Wait is how long until Allow would be true.
func (p *Pacer) Wait() time.Duration {
	if p.tokens > 0 {
		return 0
	}
	return time.Duration((-p.tokens + 1) / p.rate * float64(time.Second))
}

// OnLoss applies one receiver report's loss fraction, in [0,1].
func (p *Pacer) OnLoss(loss float64) {
	p.loss = 0.75*p.loss + 0.25*loss
	switch {
	case loss > LossThreshold:
		p.rate *= 0.75
		p.slowStart = false
	case p.slowStart:
		p.rate *= 2
	default:
		p.rate += p.rate / 8
	}
	p.rate = min(p.ceiling, max(p.floor, p.rate))
}
