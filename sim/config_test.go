package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// sameScenario reports how a and b differ ("" when equal): every field by
// reflect.DeepEqual but ScoreParams, compared by what it returns for each
// topic of the run (the global fields and that topic's entry).
func sameScenario(a, b Scenario) string {
	var diffs []string
	for _, name := range a.runTopics() {
		pa, pb := effectiveScore(a, name), effectiveScore(b, name)
		if !reflect.DeepEqual(pa, pb) {
			diffs = append(diffs, fmt.Sprintf("ScoreParams(%q): %+v != %+v", name, pa, pb))
		}
	}
	a.ScoreParams, b.ScoreParams = nil, nil
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range av.NumField() {
		if !reflect.DeepEqual(av.Field(i).Interface(), bv.Field(i).Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s: %+v != %+v", av.Type().Field(i).Name, av.Field(i).Interface(), bv.Field(i).Interface()))
		}
	}
	return strings.Join(diffs, "\n")
}

// effectiveScore returns the global fields of what s.ScoreParams (or
// ScoreParams) returns for topic, with that topic's entry only.
func effectiveScore(s Scenario, topic string) score.Params {
	get := s.ScoreParams
	if get == nil {
		get = ScoreParams
	}
	p := get(topic)
	p.Topics = map[string]*score.TopicParams{topic: p.Topics[topic]}
	return p
}

func writeConfig(t *testing.T, sc Scenario) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteConfig(&b, sc); err != nil {
		t.Fatalf("WriteConfig(%s): %v", sc.Name, err)
	}
	return b.Bytes()
}

// Every named scenario survives WriteConfig and ReadConfig, as it is and
// as the CLI changes it (fewer nodes, signing, a strategy, choke).
func TestConfigRoundTrip(t *testing.T) {
	for _, sc := range Scenarios() {
		variants := []Scenario{sc, sc.WithNodes(40)}
		v := sc.WithNodes(25).WithFiveRegions()
		v.Sign, v.Strategy, v.Scoring = true, mesh.PreferFast, !v.Scoring
		v.Params = router.DefaultParams()
		v.Params.Choke, v.Params.ChokeWindow = true, 7
		variants = append(variants, v)
		for i, want := range variants {
			data := writeConfig(t, want)
			got, err := ReadConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s #%d: ReadConfig: %v\n%s", sc.Name, i, err, data)
			}
			if d := sameScenario(want.resolved(), got); d != "" {
				t.Errorf("%s #%d: read back differs:\n%s", sc.Name, i, d)
			}
			if again := writeConfig(t, got); !bytes.Equal(again, data) {
				t.Errorf("%s #%d: written again differs:\n%s\n---\n%s", sc.Name, i, data, again)
			}
		}
	}
}

// WriteConfig writes the defaults that zero values stand for, so that a
// file it wrote can be edited one field at a time: the resolved scenario
// runs the same (Scenario.params and the others return the same).
func TestConfigWritesDefaults(t *testing.T) {
	sc, _ := Lookup("baseline")
	if sc.Params.D != 0 || sc.Membership.ProbeInterval != 0 || sc.Thresholds != (score.Thresholds{}) || sc.ScoreParams != nil {
		t.Fatal("baseline no longer leaves the defaults zero: this test checks nothing")
	}
	got, err := ReadConfig(bytes.NewReader(writeConfig(t, sc)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Params != router.DefaultParams() || got.Membership != membership.LANParams() || got.Thresholds != score.DefaultThresholds() {
		t.Errorf("defaults not written: %+v %+v %+v", got.Params, got.Membership, got.Thresholds)
	}
	if got.params() != sc.params() || got.memberParams() != sc.memberParams() || got.thresholds() != sc.thresholds() ||
		!reflect.DeepEqual(got.scoreParams(), sc.scoreParams()) {
		t.Error("the resolved scenario runs with other parameters")
	}
}

// filler sets every config field of a value to a distinct non-zero
// value, so that a field the mapping loses (or two fields it mixes up)
// shows.
type filler struct{ n int }

func (f *filler) fill(v reflect.Value) {
	f.n++
	t := v.Type()
	switch {
	case t == durationType:
		v.SetInt(int64(f.n)*int64(time.Millisecond) + int64(f.n)) // ns precision survives
		return
	case t == reflect.TypeFor[netip.Prefix]():
		v.Set(reflect.ValueOf(netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", f.n%256))))
		return
	case t == reflect.TypeFor[AttackKind]():
		v.SetUint(uint64(len(attackNames) - 1)) // the newest kind
		return
	case t == reflect.TypeFor[mesh.Strategy]():
		v.SetUint(uint64(len(mesh.Strategies()) - 1))
		return
	case t == reflect.TypeFor[MembershipMode]():
		v.SetUint(uint64(MembershipDirectory)) // not the zero value, auto
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", f.n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 1.0/3)
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 2, 2))
		f.fill(v.Index(0))
		f.fill(v.Index(1))
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		for range 2 {
			e := reflect.New(t.Elem()).Elem()
			f.fill(e)
			v.SetMapIndex(reflect.ValueOf(fmt.Sprintf("k%d", f.n)).Convert(t.Key()), e)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			// Only the fields configFields leaves out on purpose stay zero.
			if configFields[fieldID{t, t.Field(i).Name}].skip == "" && t.Field(i).Type.Kind() != reflect.Func {
				f.fill(v.Field(i))
			}
		}
	}
}

// filledScenario returns a Scenario with every config field set, and
// ScoreParams a func of filled parameters with an entry per topic.
func filledScenario(topics bool) Scenario {
	f := &filler{}
	var sc Scenario
	f.fill(reflect.ValueOf(&sc).Elem())
	if topics {
		sc.Traffic = Traffic{} // with Topics, unused (and zeroed by ReadConfig)
	} else {
		sc.Topics = nil
	}
	var p score.Params
	f.fill(reflect.ValueOf(&p).Elem())
	p.Topics = map[string]*score.TopicParams{}
	for _, name := range sc.runTopics() {
		var tp score.TopicParams
		f.fill(reflect.ValueOf(&tp).Elem())
		p.Topics[name] = &tp
	}
	sc.ScoreParams = scoreFunc(p)
	return sc
}

// Every field under Scenario reaches the file and comes back: a field
// added to Scenario (or Network, Attack, Traffic, router.Params ...) is
// covered without a change here, and this fails if the mapping drops it.
func TestConfigRoundTripEveryField(t *testing.T) {
	for _, topics := range []bool{false, true} {
		want := filledScenario(topics)
		data := writeConfig(t, want)
		got, err := decodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("topics %v: %v\n%s", topics, err, data)
		}
		if d := sameScenario(want, got); d != "" {
			t.Errorf("topics %v: read back differs:\n%s\n%s", topics, d, data)
		}
		if topics && len(got.Topics) != 2 {
			t.Errorf("topics: %d topics read", len(got.Topics))
		}
	}
}

// The schema check walks Scenario's type: every field is mapped or
// listed in configFields. It fails for a field it cannot map.
func TestConfigSchemaCoversScenario(t *testing.T) {
	if err := checkConfigType(reflect.TypeFor[Scenario]()); err != nil {
		t.Fatalf("Scenario has a field the config cannot express: %v", err)
	}
	type inner struct {
		OK  time.Duration
		Bad func()
	}
	type outer struct {
		Fine  []map[string]*inner
		Other int
	}
	err := checkConfigType(reflect.TypeFor[outer]())
	if err == nil || !strings.Contains(err.Error(), "fine[]{}.bad: type func() has no config mapping") {
		t.Errorf("a func field deep inside: %v", err)
	}
	type private struct{ x int }
	if err := checkConfigType(reflect.TypeFor[private]()); err == nil || !strings.Contains(err.Error(), "unexported") {
		t.Errorf("an unexported field: %v", err)
	}
	type intKeys struct{ M map[int]int }
	if err := checkConfigType(reflect.TypeFor[intKeys]()); err == nil {
		t.Error("a map with int keys passes")
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Nodes":                     "nodes",
		"PeersLow":                  "peers_low",
		"MTU":                       "mtu",
		"RTT":                       "rtt",
		"DeliveryRecordTTL":         "delivery_record_ttl",
		"IHaveIDs":                  "ihave_ids",
		"MaxIHaveLength":            "max_ihave_length",
		"IWantFollowupTime":         "iwant_followup_time",
		"IDontWantMessageThreshold": "idontwant_message_threshold",
		"PublishIDontWant":          "publish_idontwant",
		"IPColocationFactorWeight":  "ip_colocation_factor_weight",
		"Dlo":                       "dlo",
		"P3Weight":                  "p3_weight",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// A short file takes every field it leaves out from its base, nested
// ones included: a router, membership, threshold or score parameter
// given alone keeps the others at the values the base runs with.
func TestReadConfigDefaults(t *testing.T) {
	sybil, _ := Lookup("sybil")
	base, _ := Lookup("baseline")
	for _, tc := range []struct {
		name, file string
		want       func() Scenario
	}{
		{"empty", `{}`, func() Scenario { return base.resolved() }},
		{"base and a few fields", `{"base": "sybil", "nodes": 50, "traffic": {"messages": 20}, "attack": {"per_honest": 2}}`,
			func() Scenario {
				s := sybil.resolved()
				s.Nodes, s.Traffic.Messages, s.Attack.PerHonest = 50, 20, 2
				return s
			}},
		{"one router parameter", `{"params": {"d": 8, "dhi": 14}, "strategy": "preferlocal"}`, func() Scenario {
			s := base.resolved()
			s.Params.D, s.Params.Dhi, s.Strategy = 8, 14, mesh.PreferLocal
			return s
		}},
		{"integers written as floats", `{"nodes": 50.0, "traffic": {"messages": 1e3}}`, func() Scenario {
			s := base.resolved()
			s.Nodes, s.Traffic.Messages = 50, 1000
			return s
		}},
		{"one membership parameter", `{"membership": {"gossip_nodes": 5}}`, func() Scenario {
			s := base.resolved()
			s.Membership.GossipNodes = 5
			return s
		}},
		{"one threshold", `{"thresholds": {"gossip_threshold": -50}}`, func() Scenario {
			s := base.resolved()
			s.Thresholds.GossipThreshold = -50
			return s
		}},
		{"one score parameter", `{"score": {"behaviour_penalty_weight": -1, "topics": {"sim": {"mesh_message_deliveries_weight": -2}}}}`, func() Scenario {
			s := base.resolved()
			p := ScoreParams(Topic)
			p.BehaviourPenaltyWeight = -1
			p.Topics[Topic].MeshMessageDeliveriesWeight = -2
			s.ScoreParams = scoreFunc(p)
			return s
		}},
		{"zones and a stall", `{"network": {"latency": {"zones": {"names": ["a", "b"], "rtt": [["2ms", "80ms"], ["80ms", "2ms"]]}}, "stalls": {"start": "20s", "stop": "30s", "interval": "1s", "fraction": 0.01, "min": "1s", "max": "2s"}}}`, func() Scenario {
			s := base.resolved()
			s.Net.Latency.Zones = &Zones{Names: []string{"a", "b"}, RTT: [][]time.Duration{{2 * time.Millisecond, 80 * time.Millisecond}, {80 * time.Millisecond, 2 * time.Millisecond}}}
			s.Net.Stalls = Stalls{Start: 20 * time.Second, Stop: 30 * time.Second, Interval: time.Second, Fraction: 0.01, Min: time.Second, Max: 2 * time.Second}
			return s
		}},
		{"whitelist", `{"score": {"ip_colocation_factor_whitelist": ["192.168.0.0/16"]}}`, func() Scenario {
			s := base.resolved()
			p := ScoreParams(Topic)
			p.IPColocationFactorWhitelist = []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}
			s.ScoreParams = scoreFunc(p)
			return s
		}},
	} {
		got, err := ReadConfig(strings.NewReader(tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := sameScenario(tc.want(), got); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
	if s, _ := Lookup("zones"); s.Net.Latency.Zones.Names[0] != "us-east" {
		t.Error("reading a file changed a named scenario")
	}
}

// Several topics: each new topic fills in from "traffic", which is then
// zeroed; a topic's partial score fills in from ScoreParams's topic
// parameters, and ScoreParams gives every topic an entry.
func TestReadConfigTopics(t *testing.T) {
	file := `{"nodes": 50, "traffic": {"rate": 10},
		"topics": [{"name": "a"}, {"name": "b", "traffic": {"size": 64, "publishers": 3}, "score": {"topic_weight": 0.5}}],
		"score": {"topics": {"a": {"topic_weight": 0.25}}}}`
	sc, err := decodeConfig(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Lookup("baseline")
	wantA := base.Traffic
	wantA.Rate = 10
	wantB := wantA
	wantB.Size, wantB.Publishers = 64, 3
	if sc.Traffic != (Traffic{}) || len(sc.Topics) != 2 || sc.Topics[0].Traffic != wantA || sc.Topics[1].Traffic != wantB {
		t.Fatalf("traffic %+v, topics %+v", sc.Traffic, sc.Topics)
	}
	wantScore := *ScoreParams(Topic).Topics[Topic]
	wantScore.TopicWeight = 0.5
	if sc.Topics[0].Score != nil || sc.Topics[1].Score == nil || *sc.Topics[1].Score != wantScore {
		t.Errorf("topic scores %+v %+v", sc.Topics[0].Score, sc.Topics[1].Score)
	}
	if w := sc.ScoreParams("a").Topics["a"].TopicWeight; w != 0.25 {
		t.Errorf("score.topics.a.topic_weight %v", w)
	}
	if tp := sc.ScoreParams("b").Topics["b"]; tp == nil || *tp != *ScoreParams(Topic).Topics[Topic] {
		t.Errorf("a topic without score entry: %+v", tp)
	}
	// The func returns copies: changing one result changes no other.
	sc.ScoreParams("a").Topics["a"].TopicWeight = 9
	if w := sc.ScoreParams("a").Topics["a"].TopicWeight; w != 0.25 {
		t.Errorf("ScoreParams shares its result: %v", w)
	}
}

// Errors wrap ErrConfig, fit on one line, and name the field.
func TestReadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"nodse": 5}`, `nodse: unknown field (did you mean "nodes"?)`},
		{`{"flavour": 5}`, `keys: gwyh sim -print-config lists them)`},
		{`{"network": {"latency": {"bsae": "1ms"}}}`, `network.latency.bsae: unknown field (did you mean "base"?)`},
		{`{"network": {"latency": {"delay": "1ms"}}}`, `network.latency.delay: unknown field (network.latency has base, jitter, packet_jitter, zones)`},
		{`{"network": {"latency": {"base": "25x"}}}`, `network.latency.base: bad duration "25x"`},
		{`{"network": {"latency": {"base": 25}}}`, `network.latency.base: want a duration such as "25ms"`},
		{`{"nodes": "50"}`, `nodes: want an integer, got "50"`},
		{`{"nodes": 1.5}`, `nodes: want an integer of 64 bits, got 1.5`},
		{`{"topology": {"degree": 1e30}}`, `topology.degree: want an integer of 64 bits, got 1e30`},
		{`{"topology": {"degree": -1e2}}`, `degrees must be ≥ 0`}, // read as -100, then rejected by Validate
		{`{"scoring": 1}`, `scoring: want true or false, got the number 1`},
		{`{"topology": {"dials": [[0, 1, 2]]}}`, `topology.dials[0]: want an array of 2, got`},
		{`{"topology": {"dials": [7]}}`, `topology.dials[0]: want an array of 2, got`},
		{`{"attack": {"kind": "flood"}}`, `attack.kind: unknown attack kind "flood" (want one of none, sybil`},
		{`{"strategy": "fastest"}`, `strategy: mesh: invalid strategy: "fastest"`},
		{`{"membership_mode": "gossip"}`, `membership_mode: unknown membership mode "gossip" (want one of auto, swim, directory)`},
		{`{"directory_sample": -1}`, `DirectorySample -1 < 0`},
		{`{"base": "nope"}`, `base: unknown scenario "nope" (want one of baseline, sybil`},
		{`{"base": 3}`, `base: want a scenario name, got the number 3`},
		{`{"score": {"ip_colocation_factor_whitelist": ["10.0.0.0/99"]}}`, `score.ip_colocation_factor_whitelist[0]: netip.ParsePrefix`},
		{`{"score": {"topics": {"sim": {"topic_wieght": 1}}}}`, `score.topics.sim.topic_wieght: unknown field (did you mean "topic_weight"?)`},
		{`{"topics": [{"name": "a", "traffic": {"rat": 1}}]}`, `topics[0].traffic.rat: unknown field`},
		{`{"params": {"strategy": "uniform"}}`, `params.strategy: unknown field`},
		{`{"score": {"app_specific_score": 1}}`, `score.app_specific_score: unknown field`},
		{`{"network": []}`, `network: want an object, got an array`},
		{`[1]`, `want a JSON object, got an array`},
		{"{\n  \"nodes\": 5,\n  oops\n}", `line 3, column 3: invalid character 'o'`},
		{`{"nodes": 5} {}`, `data after the top-level object`},
		{`{"nodes": 5`, `unexpected end of the file`},
		{`{"nodes": 1}`, `Nodes 1 < 2`},
		{`{"params": {"dlo": 9}}`, `router:`},
		{`{"params": {"d": 0}}`, `params.d: 0 stands for router.DefaultParams`},
		{`{"membership": {"probe_interval": "0s"}}`, `membership.probe_interval: 0 stands for membership.LANParams`},
	} {
		_, err := ReadConfig(strings.NewReader(tc.file))
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.file)
		case !errors.Is(err, ErrConfig):
			t.Errorf("%s: %v does not wrap ErrConfig", tc.file, err)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %q does not say %q", tc.file, err, tc.want)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: more than one line: %q", tc.file, err)
		}
	}
}

// WriteConfig refuses what a file cannot express rather than dropping it.
func TestWriteConfigRefuses(t *testing.T) {
	sc, _ := Lookup("baseline")
	sc.ScoreParams = func(topic string) score.Params {
		p := ScoreParams(topic)
		p.AppSpecificScore = func(peer.ID) float64 { return 1 }
		return p
	}
	if err := WriteConfig(&bytes.Buffer{}, sc); err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "score: AppSpecificScore") {
		t.Errorf("AppSpecificScore: %v", err)
	}
	sc.Topics = []TopicSpec{{Name: "a"}, {Name: "b"}}
	sc.ScoreParams = func(topic string) score.Params {
		p := ScoreParams(topic)
		if topic == "b" {
			p.TopicScoreCap = 1
		}
		return p
	}
	if err := WriteConfig(&bytes.Buffer{}, sc); err == nil || !strings.Contains(err.Error(), `topic "b" differ`) {
		t.Errorf("global score parameters that differ by topic: %v", err)
	}
	sc.ScoreParams = nil
	sc.Attack.Kind = AttackKind(len(attackNames))
	if err := WriteConfig(&bytes.Buffer{}, sc); err == nil || !strings.Contains(err.Error(), "attack.kind") {
		t.Errorf("an attack kind without a name: %v", err)
	}
}

// Every attack kind is written by name and read back.
func TestAttackKindText(t *testing.T) {
	for i, name := range attackNames {
		k := AttackKind(i)
		b, err := k.MarshalText()
		if err != nil || string(b) != name {
			t.Errorf("%d: %q %v", i, b, err)
		}
		var back AttackKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%s: %v %v", name, back, err)
		}
	}
}

// The README's example file reads, and every top-level key its schema
// table names is one WriteConfig writes.
func TestConfigREADME(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Your own parameters (-config)\n")
	if !ok {
		t.Fatal("README.md has no section \"Your own parameters (-config)\"")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	_, example, ok := strings.Cut(sec, "```json\n")
	example, _, _ = strings.Cut(example, "```")
	if !ok {
		t.Fatal("no example file")
	}
	sc, err := ReadConfig(strings.NewReader(example))
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	if sc.Name != "mytopic-sybil" || sc.Attack.Kind != AttackSybil || sc.Params.D != 8 || sc.Net.Latency.Jitter != 2500*time.Microsecond ||
		sc.scoreParams().Topics[Topic].MeshMessageDeliveriesThreshold != 4 || sc.thresholds().GraylistThreshold != -200 {
		t.Errorf("the README's example reads as %+v", sc)
	}

	var full map[string]any
	if err := json.Unmarshal(writeConfig(t, sc), &full); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(sec, "\n") {
		cell, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		if !ok || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, k := range strings.Split(cell, ", ") {
			rows++
			if _, ok := full[strings.Trim(k, "`")]; !ok {
				t.Errorf("README.md documents a top-level key %s that the config does not have", k)
			}
		}
	}
	if rows < 10 {
		t.Errorf("found %d documented keys: the table's form changed?", rows)
	}
}

// FuzzReadConfig: any input gives a Scenario or an error wrapping
// ErrConfig, never a panic; a Scenario read is written and read back the
// same.
func FuzzReadConfig(f *testing.F) {
	for _, sc := range Scenarios() {
		var b bytes.Buffer
		if err := WriteConfig(&b, sc); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"base": "sybil", "nodes": 50, "topics": [{"name": "a"}, {"name": "b", "score": {"topic_weight": 2}}]}`))
	f.Add([]byte(`{"network": {"latency": {"zones": {"names": ["a"], "rtt": [["1ms"]]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := decodeConfig(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("%v does not wrap ErrConfig", err)
			}
			return
		}
		if sc.Validate() != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteConfig(&b, sc); err != nil {
			t.Fatalf("WriteConfig of a scenario read: %v", err)
		}
		back, err := ReadConfig(&b)
		if err != nil {
			t.Fatalf("reading back: %v\n%s", err, b.String())
		}
		if d := sameScenario(sc, back); d != "" {
			t.Fatalf("read back differs: %s", d)
		}
	})
}
