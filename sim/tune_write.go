package sim

import (
	"bytes"
	"fmt"
	"go/format"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gwyh/gwyh/score"
)

// WriteTable writes what the tune found as markdown: the searched
// parameters, starting and tuned, with their scores; then per attack
// scenario, the starting and the tuned parameters' delivery, latency,
// false positives and false negatives (Result.ScoreFP*, ScoreFN*).
func (t *TuneResult) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d runs over %s, seed %d\n\n", t.Runs, strings.Join(t.Attacks, ", "), t.Seed)
	fmt.Fprintf(&b, "| parameter | start | tuned |\n|---|---|---|\n")
	s, e := reflect.ValueOf(t.Start), reflect.ValueOf(t.Best)
	cell := func(v reflect.Value) string {
		if v.Type() == durationType {
			return time.Duration(v.Int()).String()
		}
		return goFloat(v.Float())
	}
	for i := range s.NumField() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Type().Field(i).Name, cell(s.Field(i)), cell(e.Field(i)))
	}
	for _, row := range []struct {
		name string
		f    func(TuneScore) string
	}{
		{"min delivery", func(s TuneScore) string { return fmt.Sprintf("%.4f", s.MinDelivery) }},
		{"false positives", func(s TuneScore) string { return fmt.Sprintf("%.4f", s.FalsePositives) }},
		{"worst p99 ms", func(s TuneScore) string { return fmt.Sprintf("%.0f", s.P99Ms) }},
		{"sum of p99 ms", func(s TuneScore) string { return fmt.Sprintf("%.0f", s.SumP99Ms) }},
	} {
		fmt.Fprintf(&b, "| *%s* | %s | %s |\n", row.name, row.f(t.StartScore), row.f(t.BestScore))
	}
	fmt.Fprintf(&b, "\n| attack | params | honest | attackers | delivery | p50 ms | p99 ms | FP gossip | FP graylist | FN gossip | FN graylist |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, name := range t.Attacks {
		for _, run := range []struct {
			label string
			r     *Result
		}{{"start", t.StartResults[i]}, {"tuned", t.BestResults[i]}} {
			r := run.r
			del := fmt.Sprintf("%.4f", r.DeliveryRatio)
			if r.TargetDeliveryRatio >= 0 {
				del += fmt.Sprintf(" (targets %.4f)", r.TargetDeliveryRatio)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %.0f | %.0f | %.4f | %.4f | %.4f | %.4f |\n",
				name, run.label, r.Nodes, r.Attackers, del, r.LatP50Ms, r.LatP99Ms,
				r.ScoreFPGossip, r.ScoreFPGraylist, r.ScoreFNGossip, r.ScoreFNGraylist)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteGo writes a gofmt'ed Go file of package pkg with the tuned
// parameters as literals a user pastes into their node's configuration:
// TunedScoreParams(topic) returns the whole score.Params of the tuned
// scenario (every field, the attacked topic's parameters under topic,
// other topics under their names; AppSpecificScore, a function, is left
// for the user to set) and TunedThresholds() the score.Thresholds.
func (t *TuneResult) WriteGo(w io.Writer, pkg string) error {
	topic := t.Tuned.attackedTopic()
	p := t.Tuned.scoreParamsFor(topic)
	th := t.Tuned.thresholds()
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Score parameters tuned by `gwyh sim tune` (seed %d, %d runs over %s):\n", t.Seed, t.Runs, strings.Join(t.Attacks, ", "))
	fmt.Fprintf(&b, "// worst-case honest delivery %.4f (start %.4f), false positives %.4f (start %.4f),\n",
		t.BestScore.MinDelivery, t.StartScore.MinDelivery, t.BestScore.FalsePositives, t.StartScore.FalsePositives)
	fmt.Fprintf(&b, "// worst p99 latency %.0f ms (start %.0f ms).\n\n", t.BestScore.P99Ms, t.StartScore.P99Ms)
	fmt.Fprintf(&b, "package %s\n\nimport (\n\"net/netip\"\n\"time\"\n\n\"github.com/gwyh/gwyh/score\"\n)\n\n", pkg)
	fmt.Fprintf(&b, "// TunedScoreParams returns the tuned score parameters, with topic's\n// parameters under topic.\nfunc TunedScoreParams(topic string) score.Params {\nreturn score.Params")
	if err := goLiteral(&b, reflect.ValueOf(p), topic); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n}\n\n// TunedThresholds returns the tuned score thresholds.\nfunc TunedThresholds() score.Thresholds {\nreturn score.Thresholds")
	if err := goLiteral(&b, reflect.ValueOf(th), topic); err != nil {
		return err
	}
	b.WriteString("\n}\n")
	// Keep the imports the literal uses (goimports would).
	src := b.String()
	for _, imp := range []string{"net/netip", "time"} {
		if !strings.Contains(src, imp[strings.LastIndexByte(imp, '/')+1:]+".") {
			src = strings.Replace(src, strconv.Quote(imp)+"\n", "", 1)
		}
	}
	out, err := format.Source([]byte(src))
	if err != nil {
		return fmt.Errorf("sim: tune: generated Go does not parse: %w", err)
	}
	_, err = w.Write(out)
	return err
}

var prefixType = reflect.TypeFor[netip.Prefix]()

// goLiteral writes v, a struct of package score, as a Go composite
// literal body ({…}) with every field; a map of topics keys the attacked
// topic as the identifier topic.
func goLiteral(b *bytes.Buffer, v reflect.Value, topic string) error {
	b.WriteString("{\n")
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		switch {
		case f.Type == durationType:
			fmt.Fprintf(b, "%s: %s,\n", f.Name, goDuration(time.Duration(fv.Int())))
		case f.Type.Kind() == reflect.Float64:
			fmt.Fprintf(b, "%s: %s,\n", f.Name, goFloat(fv.Float()))
		case f.Type.Kind() == reflect.Int:
			fmt.Fprintf(b, "%s: %d,\n", f.Name, fv.Int())
		case f.Type.Kind() == reflect.Bool:
			fmt.Fprintf(b, "%s: %t,\n", f.Name, fv.Bool())
		case f.Type.Kind() == reflect.Func:
			fmt.Fprintf(b, "// %s: not tuned; set your own.\n", f.Name)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem() == prefixType:
			if fv.Len() == 0 {
				continue
			}
			fmt.Fprintf(b, "%s: []netip.Prefix{\n", f.Name)
			for j := range fv.Len() {
				fmt.Fprintf(b, "netip.MustParsePrefix(%q),\n", fv.Index(j).Interface().(netip.Prefix).String())
			}
			b.WriteString("},\n")
		case f.Type == reflect.TypeFor[map[string]*score.TopicParams]():
			fmt.Fprintf(b, "%s: map[string]*score.TopicParams{\n", f.Name)
			keys := make([]string, 0, fv.Len())
			for _, k := range fv.MapKeys() {
				keys = append(keys, k.String())
			}
			slices.Sort(keys)
			for _, k := range keys {
				tp := fv.MapIndex(reflect.ValueOf(k))
				if tp.IsNil() {
					continue
				}
				key := strconv.Quote(k)
				if k == topic {
					key = "topic"
				}
				b.WriteString(key + ": ")
				if err := goLiteral(b, tp.Elem(), topic); err != nil {
					return err
				}
				b.WriteString(",\n")
			}
			b.WriteString("},\n")
		default:
			return fmt.Errorf("sim: tune: cannot write %s.%s (%s) as Go", v.Type().Name(), f.Name, f.Type)
		}
	}
	b.WriteString("}")
	return nil
}

// goFloat formats x as the shortest Go literal that reads back as x.
func goFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// goDuration formats d as a Go expression: n * time.Unit with the largest
// unit that divides it.
func goDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}} {
		if d%u.d == 0 {
			return fmt.Sprintf("%d * time.%s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("%d * time.Nanosecond", d)
}
