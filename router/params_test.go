package router

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultParamsValid(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.D != 6 || p.Dlo != 4 || p.Dhi != 12 || p.Dscore != 4 || p.Dout != 2 || p.Dlazy != 6 ||
		p.GossipFactor != 0.25 || p.HeartbeatInterval != time.Second || p.FanoutTTL != time.Minute ||
		p.HistoryLength != 5 || p.HistoryGossip != 3 || p.SeenTTL != 2*time.Minute ||
		p.PruneBackoff != time.Minute || p.UnsubscribeBackoff != 10*time.Second || p.PrunePeers != 16 ||
		!p.FloodPublish || p.GossipRetransmission != 3 || p.MaxIHaveLength != 5000 || p.MaxIHaveMessages != 10 ||
		p.IWantFollowupTime != 3*time.Second || p.GraftFloodThreshold != 10*time.Second ||
		p.OpportunisticGraftTicks != 60 || p.OpportunisticGraftPeers != 2 || p.DirectConnectTicks != 300 ||
		p.IDontWantMessageThreshold != 1024 || p.MaxIDontWantMessages != 1000 || p.IDontWantTTL != 3 {
		t.Fatalf("defaults differ from the spec: %+v", p)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Params)
		rules []string // each must be named in the error
	}{
		{"Dlo above D", func(p *Params) { p.Dlo = 7 }, []string{"Dlo ≤ D"}},
		{"D above Dhi", func(p *Params) { p.Dhi = 5 }, []string{"D ≤ Dhi"}},
		{"Dout not below Dlo", func(p *Params) { p.Dout = 4; p.D = 8 }, []string{"Dout < Dlo"}},
		{"Dout above D/2", func(p *Params) { p.D, p.Dlo, p.Dout = 6, 6, 4 }, []string{"Dout ≤ D/2"}},
		{"Dscore above D", func(p *Params) { p.Dscore = 7 }, []string{"Dscore ≤ D"}},
		{"gossip window", func(p *Params) { p.HistoryGossip = 6 }, []string{"HistoryGossip ≤ HistoryLength"}},
		{"no message cache budget", func(p *Params) { p.MessageCacheBytes = 0 }, []string{"MessageCacheBytes > 0"}},
		{"every problem at once", func(p *Params) {
			p.HeartbeatInterval = 0
			p.SeenTTL = -1
			p.Dscore = 9
			p.GossipFactor = 2
		}, []string{"HeartbeatInterval > 0", "SeenTTL > 0", "Dscore ≤ D", "GossipFactor"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.mod(&p)
			err := p.Validate()
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err %v does not wrap ErrConfig", err)
			}
			for _, rule := range tc.rules {
				if !strings.Contains(err.Error(), rule) {
					t.Errorf("error %q does not name %q", err, rule)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	c := Config{Params: DefaultParams()}
	c.Params.D = 20
	c.Scorer = newFakeScorer()
	c.Thresholds.GossipThreshold = 1
	_, err := New(c)
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"Rand is required", "Identity is required", "D ≤ Dhi", "GossipThreshold < 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q: %v", want, err)
		}
	}
}
