package score

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	good := DefaultTopicParams()
	cases := []struct {
		name   string
		mod    func(p *Params)
		fields []string // each must be named in the error
	}{
		{"example is valid", func(*Params) {}, nil},
		{"zero decay settings", func(p *Params) { p.DecayInterval, p.DecayToZero = 0, 0 },
			[]string{"DecayInterval", "DecayToZero"}},
		{"global signs and ranges", func(p *Params) {
			p.TopicScoreCap = -1
			p.AppSpecificWeight = -1
			p.IPColocationFactorWeight = 1
			p.BehaviourPenaltyWeight = 0.5
			p.BehaviourPenaltyThreshold = -1
			p.BehaviourPenaltyDecay = 1
			p.RetainScore = -time.Second
			p.DeliveryRecordTTL = -1
			p.MaxDeliveryRecords = -1
			p.IPColocationFactorWhitelist = []netip.Prefix{{}}
		}, []string{"TopicScoreCap", "AppSpecificWeight", "IPColocationFactorWeight",
			"BehaviourPenaltyWeight", "BehaviourPenaltyThreshold", "BehaviourPenaltyDecay",
			"RetainScore", "DeliveryRecordTTL", "MaxDeliveryRecords", "IPColocationFactorWhitelist[0]"}},
		{"colocation threshold with weight", func(p *Params) { p.IPColocationFactorThreshold = 0 },
			[]string{"IPColocationFactorThreshold"}},
		{"NaN fails", func(p *Params) { p.DecayToZero = math.NaN(); p.TopicScoreCap = math.NaN() },
			[]string{"DecayToZero", "TopicScoreCap"}},
		{"nil topic", func(p *Params) { p.Topics["nil"] = nil }, []string{`Topics["nil"]`}},
		{"topic problems, several topics", func(p *Params) {
			bad := good
			bad.TopicWeight = -1
			bad.TimeInMeshWeight = -1
			bad.FirstMessageDeliveriesDecay = 1.5
			bad.FirstMessageDeliveriesCap = 0
			bad.MeshMessageDeliveriesWeight = 1
			bad.MeshFailurePenaltyWeight = 1
			bad.InvalidMessageDeliveriesWeight = 1
			p.Topics["b"] = &bad
			bad2 := good
			bad2.TimeInMeshQuantum = 0
			bad2.TimeInMeshCap = 0
			bad2.MeshMessageDeliveriesDecay = 0
			bad2.MeshMessageDeliveriesThreshold = 0
			bad2.MeshMessageDeliveriesCap = 5
			bad2.MeshMessageDeliveriesThreshold = 6
			bad2.MeshMessageDeliveriesWindow = -1
			bad2.MeshMessageDeliveriesActivation = -1
			bad2.MeshFailurePenaltyDecay = 0
			bad2.InvalidMessageDeliveriesDecay = -0.5
			p.Topics["c"] = &bad2
		}, []string{
			`Topics["b"].TopicWeight`, `Topics["b"].TimeInMeshWeight`, `Topics["b"].FirstMessageDeliveriesDecay`,
			`Topics["b"].FirstMessageDeliveriesCap`, `Topics["b"].MeshMessageDeliveriesWeight`,
			`Topics["b"].MeshFailurePenaltyWeight`, `Topics["b"].InvalidMessageDeliveriesWeight`,
			`Topics["c"].TimeInMeshQuantum`, `Topics["c"].TimeInMeshCap`, `Topics["c"].MeshMessageDeliveriesDecay`,
			`Topics["c"].MeshMessageDeliveriesCap`, `Topics["c"].MeshMessageDeliveriesWindow`,
			`Topics["c"].MeshMessageDeliveriesActivation`, `Topics["c"].MeshFailurePenaltyDecay`,
			`Topics["c"].InvalidMessageDeliveriesDecay`}},
		{"unused components are not checked", func(p *Params) {
			off := TopicParams{TopicWeight: 1}
			p.Topics["off"] = &off
			p.BehaviourPenaltyWeight, p.BehaviourPenaltyDecay = 0, 0
			p.IPColocationFactorWeight, p.IPColocationFactorThreshold = 0, 0
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams("a")
			tc.mod(&p)
			err := p.Validate()
			checkReport(t, err, tc.fields)
			_, newErr := New(p)
			if (newErr == nil) != (len(tc.fields) == 0) {
				t.Fatalf("New error = %v, Validate error = %v", newErr, err)
			}
		})
	}
}

// checkReport checks that err names exactly the given fields, one problem
// per field, each wrapping ErrConfig.
func checkReport(t *testing.T, err error, fields []string) {
	t.Helper()
	if len(fields) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("error %v does not wrap ErrConfig", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(fields) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(fields), err)
	}
	for _, f := range fields {
		found := false
		for _, l := range lines {
			if strings.Contains(l, ": "+f+" = ") || strings.Contains(l, ": "+f+": ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem names %s in:\n%v", f, err)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	cases := []struct {
		name   string
		th     Thresholds
		fields []string
	}{
		{"example", DefaultThresholds(), nil},
		{"equal publish and gossip", Thresholds{GossipThreshold: -10, PublishThreshold: -10, GraylistThreshold: -11}, nil},
		{"zero value", Thresholds{}, []string{"GossipThreshold", "GraylistThreshold"}},
		{"all wrong", Thresholds{GossipThreshold: 1, PublishThreshold: 2, GraylistThreshold: 2, AcceptPXThreshold: -1, OpportunisticGraftThreshold: -1},
			[]string{"GossipThreshold", "PublishThreshold", "GraylistThreshold", "AcceptPXThreshold", "OpportunisticGraftThreshold"}},
		{"graylist equals publish", Thresholds{GossipThreshold: -1, PublishThreshold: -2, GraylistThreshold: -2}, []string{"GraylistThreshold"}},
		{"NaN", Thresholds{GossipThreshold: math.NaN(), PublishThreshold: -2, GraylistThreshold: -3},
			[]string{"GossipThreshold", "PublishThreshold"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkReport(t, tc.th.Validate(), tc.fields)
		})
	}
}

func TestTopicParamsValidate(t *testing.T) {
	tp := DefaultTopicParams()
	if err := tp.Validate(); err != nil {
		t.Fatal(err)
	}
	tp.TopicWeight, tp.InvalidMessageDeliveriesWeight = -1, 2
	checkReport(t, tp.Validate(), []string{"TopicWeight", "InvalidMessageDeliveriesWeight"})
}
