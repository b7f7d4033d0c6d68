package score

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrConfig is wrapped by every problem Validate reports, so
// errors.Is(err, ErrConfig) holds for any validation failure.
var ErrConfig = errors.New("score: invalid config")

// checker collects every problem found, each naming the field and the rule.
type checker struct {
	prefix string
	errs   []error
}

func (c *checker) failf(field, rule string, v any) {
	c.errs = append(c.errs, fmt.Errorf("%w: %s%s = %v: %s", ErrConfig, c.prefix, field, v, rule))
}

// The comparisons are written so that NaN fails every rule.
func (c *checker) nonNeg(field string, v float64) {
	if !(v >= 0) {
		c.failf(field, "must be ≥ 0", v)
	}
}

func (c *checker) nonPos(field string, v float64) {
	if !(v <= 0) {
		c.failf(field, "must be ≤ 0", v)
	}
}

func (c *checker) positive(field string, v float64) {
	if !(v > 0) {
		c.failf(field, "must be > 0", v)
	}
}

func (c *checker) decay(field string, v float64) {
	if !(v > 0 && v < 1) {
		c.failf(field, "must be in (0,1)", v)
	}
}

func (c *checker) err() error { return errors.Join(c.errs...) }

// Validate reports every problem in p at once (errors.Join), each wrapping
// ErrConfig and naming the field and the rule it breaks. Topics
// are checked in sorted order so the report is stable.
func (p *Params) Validate() error {
	c := &checker{}
	c.nonNeg("TopicScoreCap", p.TopicScoreCap)
	c.nonNeg("AppSpecificWeight", p.AppSpecificWeight)
	c.nonPos("IPColocationFactorWeight", p.IPColocationFactorWeight)
	if p.IPColocationFactorWeight != 0 && p.IPColocationFactorThreshold < 1 {
		c.failf("IPColocationFactorThreshold", "must be ≥ 1 when IPColocationFactorWeight ≠ 0", p.IPColocationFactorThreshold)
	}
	for i, pr := range p.IPColocationFactorWhitelist {
		if !pr.IsValid() {
			c.failf(fmt.Sprintf("IPColocationFactorWhitelist[%d]", i), "must be a valid prefix", pr)
		}
	}
	c.nonPos("BehaviourPenaltyWeight", p.BehaviourPenaltyWeight)
	c.nonNeg("BehaviourPenaltyThreshold", p.BehaviourPenaltyThreshold)
	if p.BehaviourPenaltyWeight != 0 {
		c.decay("BehaviourPenaltyDecay", p.BehaviourPenaltyDecay)
	}
	if p.DecayInterval <= 0 {
		c.failf("DecayInterval", "must be > 0", p.DecayInterval)
	}
	c.decay("DecayToZero", p.DecayToZero)
	if p.RetainScore < 0 {
		c.failf("RetainScore", "must be ≥ 0", p.RetainScore)
	}
	if p.DeliveryRecordTTL < 0 {
		c.failf("DeliveryRecordTTL", "must be ≥ 0", p.DeliveryRecordTTL)
	}
	if p.MaxDeliveryRecords < 0 {
		c.failf("MaxDeliveryRecords", "must be ≥ 0", p.MaxDeliveryRecords)
	}
	errs := c.errs
	for _, name := range slices.Sorted(maps.Keys(p.Topics)) {
		tp := p.Topics[name]
		if tp == nil {
			errs = append(errs, fmt.Errorf("%w: Topics[%q]: must not be nil", ErrConfig, name))
			continue
		}
		tc := &checker{prefix: fmt.Sprintf("Topics[%q].", name)}
		tp.check(tc)
		errs = append(errs, tc.errs...)
	}
	return errors.Join(errs...)
}

// Validate reports every problem in tp at once (errors.Join), each wrapping
// ErrConfig and naming the field and the rule it breaks.
func (tp *TopicParams) Validate() error {
	c := &checker{}
	tp.check(c)
	return c.err()
}

func (tp *TopicParams) check(c *checker) {
	c.nonNeg("TopicWeight", tp.TopicWeight)

	c.nonNeg("TimeInMeshWeight", tp.TimeInMeshWeight)
	if tp.TimeInMeshWeight != 0 {
		if tp.TimeInMeshQuantum <= 0 {
			c.failf("TimeInMeshQuantum", "must be > 0 when TimeInMeshWeight ≠ 0", tp.TimeInMeshQuantum)
		}
		c.positive("TimeInMeshCap", tp.TimeInMeshCap)
	}

	c.nonNeg("FirstMessageDeliveriesWeight", tp.FirstMessageDeliveriesWeight)
	if tp.FirstMessageDeliveriesWeight != 0 {
		c.decay("FirstMessageDeliveriesDecay", tp.FirstMessageDeliveriesDecay)
		c.positive("FirstMessageDeliveriesCap", tp.FirstMessageDeliveriesCap)
	}

	c.nonPos("MeshMessageDeliveriesWeight", tp.MeshMessageDeliveriesWeight)
	if tp.MeshMessageDeliveriesWeight != 0 {
		tp.checkMeshDeliveries(c)
	}

	c.nonPos("MeshFailurePenaltyWeight", tp.MeshFailurePenaltyWeight)
	if tp.MeshFailurePenaltyWeight != 0 {
		c.decay("MeshFailurePenaltyDecay", tp.MeshFailurePenaltyDecay)
	}

	c.nonPos("InvalidMessageDeliveriesWeight", tp.InvalidMessageDeliveriesWeight)
	if tp.InvalidMessageDeliveriesWeight != 0 {
		c.decay("InvalidMessageDeliveriesDecay", tp.InvalidMessageDeliveriesDecay)
	}
}

func (tp *TopicParams) checkMeshDeliveries(c *checker) {
	c.decay("MeshMessageDeliveriesDecay", tp.MeshMessageDeliveriesDecay)
	c.positive("MeshMessageDeliveriesThreshold", tp.MeshMessageDeliveriesThreshold)
	c.positive("MeshMessageDeliveriesCap", tp.MeshMessageDeliveriesCap)
	if tp.MeshMessageDeliveriesCap < tp.MeshMessageDeliveriesThreshold {
		c.failf("MeshMessageDeliveriesCap", "must be ≥ MeshMessageDeliveriesThreshold", tp.MeshMessageDeliveriesCap)
	}
	if tp.MeshMessageDeliveriesWindow < 0 {
		c.failf("MeshMessageDeliveriesWindow", "must be ≥ 0", tp.MeshMessageDeliveriesWindow)
	}
	if tp.MeshMessageDeliveriesActivation < 0 {
		c.failf("MeshMessageDeliveriesActivation", "must be ≥ 0", tp.MeshMessageDeliveriesActivation)
	}
}

// Validate reports every violation of the spec's ordering at once
// (errors.Join), each wrapping ErrConfig: GraylistThreshold <
// PublishThreshold ≤ GossipThreshold < 0, AcceptPXThreshold ≥ 0 and
// OpportunisticGraftThreshold ≥ 0.
func (t *Thresholds) Validate() error {
	c := &checker{}
	if !(t.GossipThreshold < 0) {
		c.failf("GossipThreshold", "must be < 0", t.GossipThreshold)
	}
	if !(t.PublishThreshold <= t.GossipThreshold) {
		c.failf("PublishThreshold", "must be ≤ GossipThreshold", t.PublishThreshold)
	}
	if !(t.GraylistThreshold < t.PublishThreshold) {
		c.failf("GraylistThreshold", "must be < PublishThreshold", t.GraylistThreshold)
	}
	c.nonNeg("AcceptPXThreshold", t.AcceptPXThreshold)
	c.nonNeg("OpportunisticGraftThreshold", t.OpportunisticGraftThreshold)
	return c.err()
}
