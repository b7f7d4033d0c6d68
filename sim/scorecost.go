package sim

import "time"

// scoreEvery is the period of the threshold checks behind Result.ScoreFP*
// and ScoreFN* (1 s, or SampleEvery when finer): the scores' own decay
// interval (score.DefaultParams), so a peer's time on either side of a
// threshold is known to within a second.
const scoreEvery = time.Second

// Threshold indices of scoreLook and scoreCost, most lenient first: a
// score below the graylist threshold is below the other two.
const (
	thGossip = iota
	thPublish
	thGraylist
	numTh
)

// scoreLook is one look at the scores honest nodes give their connected
// peers, by class and threshold.
type scoreLook struct {
	honest, attacker int        // (honest node, connected peer) pairs
	below            [numTh]int // honest pairs below threshold k
	above            [numTh]int // attacker pairs at or above threshold k
}

// fp returns the share of honest pairs below threshold k (0 without any).
func (l *scoreLook) fp(k int) float64 { return share(l.below[k], l.honest) }

// fn returns the share of attacker pairs at or above threshold k.
func (l *scoreLook) fn(k int) float64 { return share(l.above[k], l.attacker) }

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// scoreCost accumulates what scoring costs over a run with scoring on:
// the per-check shares for Result.ScoreFP* and ScoreFN*, which honest
// nodes were ever put below a threshold, and how long each attacker
// stayed at or above one.
type scoreCost struct {
	th     [numTh]float64
	period time.Duration
	fpSum  [numTh]float64 // per-check FP shares, summed from Traffic.Start
	fnSum  [numTh]float64 // per-check FN shares, summed from Attack.Start
	fpN    int
	fnN    int
	// fpPeer[k][i]: some honest node put honest node i below threshold k
	// at a check from Traffic.Start on.
	fpPeer [numTh][]bool
	// fnSecs[k][a]: attacker a's seconds at or above threshold k, each
	// check weighted by the share of its honest connections that score
	// it so.
	fnSecs [numTh][]float64
	// Per check, per attacker: honest connections, and those at or
	// above threshold k (scratch).
	conns []int32
	ups   [numTh][]int32
}

// newScoreCost returns the accumulator of a run with scoring on.
func newScoreCost(s *simulator) *scoreCost {
	th := s.sc.thresholds()
	c := &scoreCost{
		th:     [numTh]float64{th.GossipThreshold, th.PublishThreshold, th.GraylistThreshold},
		period: min(scoreEvery, s.sampleEvery()),
		conns:  make([]int32, len(s.nodes)-s.honest),
	}
	for k := range numTh {
		c.fpPeer[k] = make([]bool, s.honest)
		c.fnSecs[k] = make([]float64, len(s.nodes)-s.honest)
		c.ups[k] = make([]int32, len(s.nodes)-s.honest)
	}
	return c
}

// look classifies the score every online honest node with a scorer gives
// each connected peer. With markFP, it also marks the honest peers put
// below a threshold (fpPeer); with countFN, it counts each attacker's
// connections (conns, ups).
func (c *scoreCost) look(s *simulator, markFP, countFN bool) scoreLook {
	var l scoreLook
	if countFN {
		clear(c.conns)
		for k := range numTh {
			clear(c.ups[k])
		}
	}
	for i := range s.honest {
		n := s.nodes[i]
		if !n.online || n.scorer == nil {
			continue
		}
		for _, j := range n.peers {
			p := s.nodes[j]
			v := n.scorer.Score(p.id)
			if p.attacker {
				l.attacker++
				a := int(j) - s.honest
				if countFN {
					c.conns[a]++
				}
				for k := range numTh {
					if v >= c.th[k] {
						l.above[k]++
						if countFN {
							c.ups[k][a]++
						}
					}
				}
				continue
			}
			l.honest++
			for k := range numTh {
				if v < c.th[k] {
					l.below[k]++
					if markFP {
						c.fpPeer[k][j] = true
					}
				}
			}
		}
	}
	return l
}

// check is the periodic threshold check (every c.period).
func (c *scoreCost) check(s *simulator) {
	fp := s.now >= int64(s.sc.start())
	fn := len(s.nodes) > s.honest && s.now >= int64(s.sc.Attack.Start)
	if !fp && !fn {
		return
	}
	l := c.look(s, fp, fn)
	if fp {
		c.fpN++
		for k := range numTh {
			c.fpSum[k] += l.fp(k)
		}
	}
	if fn {
		c.fnN++
		dt := c.period.Seconds()
		for k := range numTh {
			c.fnSum[k] += l.fn(k)
			for a, n := range c.conns {
				if n > 0 {
					c.fnSecs[k][a] += dt * float64(c.ups[k][a]) / float64(n)
				}
			}
		}
	}
}

// fill writes the run's FP/FN figures into r.
func (c *scoreCost) fill(r *Result) {
	var fp, fn, peers, secs [numTh]float64
	for k := range numTh {
		if c.fpN > 0 {
			fp[k] = round4(c.fpSum[k] / float64(c.fpN))
		}
		if c.fnN > 0 {
			fn[k] = round4(c.fnSum[k] / float64(c.fnN))
		}
		below := 0
		for _, b := range c.fpPeer[k] {
			if b {
				below++
			}
		}
		peers[k] = round4(share(below, len(c.fpPeer[k])))
		var sum float64
		for _, v := range c.fnSecs[k] {
			sum += v
		}
		if len(c.fnSecs[k]) > 0 {
			secs[k] = round4(sum / float64(len(c.fnSecs[k])))
		}
	}
	r.ScoreFPGossip, r.ScoreFPPublish, r.ScoreFPGraylist = fp[thGossip], fp[thPublish], fp[thGraylist]
	r.ScoreFNGossip, r.ScoreFNPublish, r.ScoreFNGraylist = fn[thGossip], fn[thPublish], fn[thGraylist]
	r.ScoreFPPeersGossip, r.ScoreFPPeersPublish, r.ScoreFPPeersGraylist = peers[thGossip], peers[thPublish], peers[thGraylist]
	r.ScoreFNSecondsGossip, r.ScoreFNSecondsPublish, r.ScoreFNSecondsGraylist = secs[thGossip], secs[thPublish], secs[thGraylist]
}
