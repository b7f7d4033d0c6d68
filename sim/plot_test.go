package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestWritePlot checks that the plot is well-formed XML with one line per
// run in the CDF and delivery panels, and score lines for scoring runs
// with attackers.
func TestWritePlot(t *testing.T) {
	s := small(t, "spam", 20, 50)
	on := run(t, s, 1)
	s.Scoring = false
	off := run(t, s, 1)
	var buf bytes.Buffer
	if err := WritePlot(&buf, "spam <20>", []PlotRun{{"scoring on", on}, {"scoring off", off}}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	lines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	// CDF 2 + delivery 2 + scores (honest, attackers) of the scoring run.
	if lines != 6 {
		t.Errorf("%d polylines, want 6", lines)
	}
	if !strings.Contains(buf.String(), "spam &lt;20&gt;") {
		t.Error("title not escaped")
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {0.7, 1}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {230, 500}, {1999, 2000},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
