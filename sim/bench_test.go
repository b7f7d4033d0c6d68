package sim

import (
	"testing"
)

// BenchmarkBaseline1000 runs the baseline scenario at 1,000 honest nodes:
// 1,000 messages of 256 bytes over links of 100 ms ± 50 ms.
func BenchmarkBaseline1000(b *testing.B) {
	sc, _ := Lookup("baseline")
	for b.Loop() {
		r, err := Run(sc.WithNodes(1000), 1, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.DeliveryRatio, "delivery")
		b.ReportMetric(r.PeakRSSMB, "peak_rss_MiB")
	}
}

// BenchmarkBaseline200 is the same at 200 nodes, for profiles.
func BenchmarkBaseline200(b *testing.B) {
	sc, _ := Lookup("baseline")
	for b.Loop() {
		if _, err := Run(sc.WithNodes(200), 1, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
