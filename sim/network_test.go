package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLinkDelay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		l      Latency
		lo, hi time.Duration
	}{
		{"constant", Latency{Base: 80 * time.Millisecond}, 80 * time.Millisecond, 80 * time.Millisecond},
		{"jittered", Latency{Base: 100 * time.Millisecond, Jitter: 50 * time.Millisecond}, 50 * time.Millisecond, 150 * time.Millisecond},
		{"zones", Latency{Zones: FiveRegions()}, 2 * time.Millisecond, 160 * time.Millisecond},
		// The spread stays within half of each zone pair's delay: links
		// within a region are 1–3 ms, none clipped at 0.
		{"zones jittered", FiveRegionLinks(), time.Millisecond, 165 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			distinct := map[int64]bool{}
			nz := tc.l.numZones()
			for a := int32(0); a < 40; a++ {
				for b := int32(0); b < 40; b++ {
					d := tc.l.linkDelay(7, a, b, a%nz, b%nz)
					if d != tc.l.linkDelay(7, b, a, b%nz, a%nz) {
						t.Fatalf("link %d-%d not symmetric", a, b)
					}
					if d < int64(tc.lo) || d > int64(tc.hi) {
						t.Fatalf("link %d-%d: %v not in [%v, %v]", a, b, time.Duration(d), tc.lo, tc.hi)
					}
					distinct[d] = true
				}
			}
			if tc.l.Jitter > 0 && len(distinct) < 100 {
				t.Errorf("jitter gives only %d distinct delays", len(distinct))
			}
			if tc.l.Zones != nil && tc.l.Jitter == 0 && len(distinct) != 11 {
				t.Errorf("five zones give %d distinct delays, want 11 (10 pairs and within a zone)", len(distinct))
			}
		})
	}
}

func TestFiveRegionsSymmetric(t *testing.T) {
	z := FiveRegions()
	for i := range z.RTT {
		for j := range z.RTT {
			if z.RTT[i][j] != z.RTT[j][i] {
				t.Errorf("RTT %s-%s not symmetric", z.Names[i], z.Names[j])
			}
		}
	}
}

// TestValidate checks that every problem is reported at once.
func TestValidate(t *testing.T) {
	s := base()
	s.Nodes = 1
	s.Net.Loss = 1.5
	s.Net.Latency.Jitter = time.Hour
	s.Traffic.Rate = 0
	err := s.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("Validate = %v, want ErrConfig", err)
	}
	for _, want := range []string{"Nodes", "Loss", "Jitter", "Traffic"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if _, err := Run(s, 1, RunOptions{}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "seed 1") {
		t.Errorf("Run of an invalid scenario = %v, want ErrConfig naming the seed", err)
	}
}

// TestScenarioNames checks that the named scenarios the CLI promises exist
// and are valid.
func TestScenarioNames(t *testing.T) {
	for _, name := range []string{"baseline", "sybil", "eclipse", "coldboot", "covertflash",
		"attackatdawn", "spam", "ihavespam", "churn", "partition", "zones"} {
		s, ok := Lookup(name)
		if !ok {
			t.Errorf("scenario %q missing", name)
			continue
		}
		if err := s.Validate(); err != nil {
			t.Errorf("scenario %q: %v", name, err)
		}
		if s.Summary == "" {
			t.Errorf("scenario %q has no summary", name)
		}
	}
	if s, _ := Lookup("sybil"); s.attackers() != 10*s.Nodes {
		t.Errorf("sybil has %d attackers for %d honest nodes, want 10 per honest node", s.attackers(), s.Nodes)
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}
