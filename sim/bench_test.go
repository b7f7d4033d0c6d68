package sim

import (
	"testing"
)

// benchBaseline runs the baseline scenario (1,000 messages of 256 bytes
// over links of 100 ms ± 50 ms) at n honest nodes and reports delivery and
// the process's peak RSS.
func benchBaseline(b *testing.B, n int, scoring bool) {
	sc, _ := Lookup("baseline")
	sc = sc.WithNodes(n)
	sc.Scoring = scoring
	for b.Loop() {
		r, err := Run(sc, 1, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.DeliveryRatio, "delivery")
		b.ReportMetric(r.PeakRSSMB, "peak_rss_MiB")
	}
}

// BenchmarkBaseline1000 is the performance target: 1,000 nodes, 1,000
// messages, scoring on (the scenario's default) and off.
func BenchmarkBaseline1000(b *testing.B) {
	b.Run("scoring", func(b *testing.B) { benchBaseline(b, 1000, true) })
	b.Run("noscoring", func(b *testing.B) { benchBaseline(b, 1000, false) })
}

// BenchmarkBaseline200 is the same at 200 nodes, for profiles.
func BenchmarkBaseline200(b *testing.B) { benchBaseline(b, 200, true) }
