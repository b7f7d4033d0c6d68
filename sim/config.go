package sim

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gwyh/gwyh/membership"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// The config file (`gwyh sim -config FILE`, `-print-config`) is one JSON
// object whose keys are Scenario's fields, mapped by reflection so that a
// field added to Scenario or to any struct under it is in the file without
// more code:
//
//   - a field's key is its name in snake_case ("PeersLow" → "peers_low";
//     "IHave", "IWant", "IDontWant" and "IDs" are one word each:
//     "IHaveIDs" → "ihave_ids"), or its json tag's name when it has one;
//     a json tag "-" leaves it out;
//   - time.Duration is a Go duration string ("25ms", "2m0s"); types with
//     MarshalText/UnmarshalText (mesh.Strategy, AttackKind, netip.Prefix)
//     are their text; numbers, bools and strings are themselves; structs
//     are objects; pointers are their value or null; slices are arrays
//     (null for nil); maps with string keys are objects;
//   - configFields renames, leaves out or maps specially the fields the
//     rules above do not fit (Scenario.Net is "network"; the func
//     Scenario.ScoreParams is "score", the score.Params data it returns).
//
// A field of any other type (a func, a channel, an interface) must be
// listed in configFields; TestConfigSchemaCoversScenario fails until it is.

// baseKey is the top-level key naming the scenario whose values the
// fields a file leaves out take.
const baseKey = "base"

// defaultBase is the base of a file without baseKey.
const defaultBase = "baseline"

// maxConfigBytes bounds a config file: a full one is about 10 KB.
const maxConfigBytes = 16 << 20

// fieldID names one struct field.
type fieldID struct {
	typ  reflect.Type
	name string
}

// fieldRule is how a field differs from the default mapping.
type fieldRule struct {
	// key replaces the snake_case name.
	key string
	// skip is why the field is not in the file ("" when it is).
	skip string
	// score: the field is Scenario.ScoreParams, written as the
	// score.Params it returns.
	score bool
}

// configFields are the fields the default mapping does not fit.
var configFields = map[fieldID]fieldRule{
	{reflect.TypeFor[Scenario](), "Net"}:                  {key: "network"},
	{reflect.TypeFor[Scenario](), "ScoreParams"}:          {key: "score", score: true},
	{reflect.TypeFor[router.Params](), "Strategy"}:        {skip: "Scenario.Strategy replaces it"},
	{reflect.TypeFor[score.Params](), "AppSpecificScore"}: {skip: "a func; P5 is 0 in the simulator"},
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	scoreParamsType     = reflect.TypeFor[score.Params]()
	topicParamsPtrType  = reflect.TypeFor[*score.TopicParams]()
	topicSpecType       = reflect.TypeFor[TopicSpec]()
)

// ReadConfig reads a config file (JSON; the schema is in README.md, "Your
// own parameters") and returns the Scenario it describes, validated. The
// top-level "base" names the scenario (Scenarios) whose values every field
// the file leaves out takes; without it, "baseline". Router parameters,
// membership parameters, thresholds and score parameters the file leaves
// out take the values the base runs with (router.DefaultParams,
// membership.LANParams, score.DefaultThresholds and ScoreParams where the
// base leaves them zero). An array replaces the base's; an object in it
// fills in from the base's element at the same index, and a new topic
// (in "topics") from "traffic". With "topics", Scenario.Traffic is zeroed:
// "traffic" then only gives the topics' defaults. A topic's "score" and a
// new entry in "score.topics" fill in from ScoreParams(Topic)'s topic
// parameters. The AppSpecificScore of the score parameters is nil.
//
// Every error wraps ErrConfig; one about a field names its JSON path
// ("network.latency.base"), unknown fields included.
func ReadConfig(r io.Reader) (Scenario, error) {
	sc, err := decodeConfig(r)
	if err != nil {
		return Scenario{}, err
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, err
	}
	return sc, nil
}

// WriteConfig writes sc as a config file that names every field (indented
// JSON, keys in field order): ReadConfig reads it back to sc, except that
// the settings whose zero value stands for a default are written as that
// default (a zero Params as router.DefaultParams, a zero Membership as
// membership.LANParams, zero Thresholds as score.DefaultThresholds, a nil
// ScoreParams as ScoreParams), and that ScoreParams comes back as a func
// returning, for each topic of the run, what sc's returned for it. The
// score parameters written are those ScoreParams gives for each topic of
// the run (Topic, or the names of Topics): it is an error if they differ
// in their global fields, or if AppSpecificScore is set, neither of which
// a file can express.
func WriteConfig(w io.Writer, sc Scenario) error {
	sc = sc.resolved()
	base := defaultBase
	if _, ok := Lookup(sc.Name); ok {
		base = sc.Name
	}
	tree, err := encodeValue("", reflect.ValueOf(&sc).Elem())
	if err != nil {
		return err
	}
	obj := tree.(*jsonObject)
	obj.keys = append([]string{baseKey}, obj.keys...)
	bj, _ := json.Marshal(base) // a string always encodes
	obj.vals = append([]any{jsonScalar(bj)}, obj.vals...)
	var b bytes.Buffer
	writeTree(&b, obj, "")
	b.WriteByte('\n')
	_, err = w.Write(b.Bytes())
	return err
}

// resolved returns s with the settings whose zero value stands for a
// default set to that default: Params, Membership and Thresholds
// (ScoreParams is resolved by WriteConfig's mapping).
func (s Scenario) resolved() Scenario {
	if s.Params.D == 0 {
		st := s.Params.Strategy
		s.Params = router.DefaultParams()
		s.Params.Strategy = st
	}
	s.Membership = s.memberParams()
	s.Thresholds = s.thresholds()
	return s
}

// runTopics returns the names of the run's topics.
func (s *Scenario) runTopics() []string {
	if len(s.Topics) == 0 {
		return []string{Topic}
	}
	names := make([]string, len(s.Topics))
	for i, t := range s.Topics {
		names[i] = t.Name
	}
	return names
}

// scoreData returns the score parameters ScoreParams (or the package's
// ScoreParams when nil) gives for the topics of the run, as one
// score.Params: the global fields (the same for every topic, else an
// error) and one Topics entry per topic. path names the field in errors.
func (s *Scenario) scoreData(path string) (score.Params, error) {
	get := s.ScoreParams
	if get == nil {
		get = ScoreParams
	}
	var out score.Params
	for i, name := range s.runTopics() {
		p := get(name)
		if p.AppSpecificScore != nil {
			return out, fmt.Errorf("%w: %s: AppSpecificScore is set (topic %q): a config file cannot express a func", ErrConfig, path, name)
		}
		tp := p.Topics[name]
		p.Topics = nil
		if i == 0 {
			out = p
			out.Topics = map[string]*score.TopicParams{}
		} else {
			g := out
			g.Topics = nil
			if !reflect.DeepEqual(g, p) {
				return out, fmt.Errorf("%w: %s: the global score parameters of topic %q differ from those of topic %q: a config file has one set", ErrConfig, path, name, s.runTopics()[0])
			}
		}
		if tp != nil {
			c := *tp
			out.Topics[name] = &c
		}
	}
	return out, nil
}

// scoreFunc returns a Scenario.ScoreParams that gives p for any topic:
// a copy, with an entry for the topic asked (ScoreParams's when p has
// none).
func scoreFunc(p score.Params) func(topic string) score.Params {
	p = copyScoreParams(p)
	return func(topic string) score.Params {
		q := copyScoreParams(p)
		if q.Topics[topic] == nil {
			q.Topics[topic] = defaultTopicParams()
		}
		return q
	}
}

// copyScoreParams returns p with its own Topics map and entries.
func copyScoreParams(p score.Params) score.Params {
	m := make(map[string]*score.TopicParams, len(p.Topics))
	for k, v := range p.Topics {
		if v != nil {
			c := *v
			v = &c
		}
		m[k] = v
	}
	p.Topics = m
	p.IPColocationFactorWhitelist = slices.Clone(p.IPColocationFactorWhitelist)
	return p
}

// defaultTopicParams returns the topic parameters a topic's score that a
// config file gives only in part fills in from: ScoreParams's.
func defaultTopicParams() *score.TopicParams {
	return ScoreParams(Topic).Topics[Topic]
}

// decodeConfig is ReadConfig without Validate.
func decodeConfig(r io.Reader) (Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return Scenario{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if len(data) > maxConfigBytes {
		return Scenario{}, fmt.Errorf("%w: larger than %d bytes", ErrConfig, maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return Scenario{}, fmt.Errorf("%w: %s", ErrConfig, syntaxError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Scenario{}, fmt.Errorf("%w: data after the top-level object (at byte %d)", ErrConfig, dec.InputOffset())
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return Scenario{}, fmt.Errorf("%w: want a JSON object, got %s", ErrConfig, describe(tree))
	}
	baseName := defaultBase
	if b, ok := top[baseKey]; ok {
		if baseName, ok = b.(string); !ok {
			return Scenario{}, fmt.Errorf("%w: %s: want a scenario name, got %s", ErrConfig, baseKey, describe(b))
		}
		top = maps.Clone(top)
		delete(top, baseKey)
	}
	sc, ok := Lookup(baseName)
	if !ok {
		var names []string
		for _, s := range Scenarios() {
			names = append(names, s.Name)
		}
		return Scenario{}, fmt.Errorf("%w: %s: unknown scenario %q (want one of %s)", ErrConfig, baseKey, baseName, strings.Join(names, ", "))
	}
	sc = sc.resolved()
	d := decoder{sc: &sc}
	if err := d.value("", reflect.ValueOf(&sc).Elem(), top); err != nil {
		return Scenario{}, err
	}
	if len(sc.Topics) > 0 {
		sc.Traffic = Traffic{}
	}
	// A zero that stands for the defaults would silently replace the
	// file's other values of the struct.
	if sc.Params.D == 0 && sc.Params != (router.Params{}) {
		return Scenario{}, fmt.Errorf("%w: params.d: 0 stands for router.DefaultParams, which would replace the other params", ErrConfig)
	}
	if sc.Membership.ProbeInterval == 0 && sc.Membership != (membership.Params{}) {
		return Scenario{}, fmt.Errorf("%w: membership.probe_interval: 0 stands for membership.LANParams, which would replace the other membership params", ErrConfig)
	}
	return sc, nil
}

// syntaxError says where in data a JSON syntax error is.
func syntaxError(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "unexpected end of the file"
		}
		return err.Error()
	}
	off := min(max(int(se.Offset)-1, 0), len(data)) // the offending byte
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// configKey returns the key of struct field f of struct type t, and
// its rule; skip reports a field not in the file.
func configKey(t reflect.Type, f reflect.StructField) (key string, rule fieldRule, skip bool) {
	rule = configFields[fieldID{t, f.Name}]
	if rule.skip != "" {
		return "", rule, true
	}
	if rule.key != "" {
		return rule.key, rule, false
	}
	if tag, ok := f.Tag.Lookup("json"); ok {
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			return "", rule, true
		}
		if name != "" {
			return name, rule, false
		}
	}
	return snakeCase(f.Name), rule, false
}

// snakeWords are the protocol's words written in capitals that are one
// word in a key.
var snakeWords = strings.NewReplacer("IDontWant", "Idontwant", "IHave", "Ihave", "IWant", "Iwant", "IDs", "Ids")

// snakeCase returns a Go field name in snake_case: "PeersLow" →
// "peers_low", "MTU" → "mtu", "DeliveryRecordTTL" →
// "delivery_record_ttl", "IHaveIDs" → "ihave_ids".
func snakeCase(name string) string {
	rs := []rune(snakeWords.Replace(name))
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// checkConfigType reports the first field under t (a struct type) that
// the config mapping cannot express and configFields does not list.
func checkConfigType(t reflect.Type) error {
	return checkType("", t, map[reflect.Type]bool{})
}

// checkType is checkConfigType for type t at path; seen holds the struct
// types checked already.
func checkType(path string, t reflect.Type, seen map[reflect.Type]bool) error {
	switch {
	case t == durationType:
		return nil
	case t.Implements(textMarshalerType) && reflect.PointerTo(t).Implements(textUnmarshalerType):
		return nil
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Pointer:
		return checkType(path, t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		return checkType(path+"[]", t.Elem(), seen)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("%s: map key type %v is not a string", path, t.Key())
		}
		return checkType(path+"{}", t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			return nil
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			key, rule, skip := configKey(t, f)
			p := joinPath(path, key)
			switch {
			case skip:
				continue
			case !f.IsExported():
				return fmt.Errorf("%s (%v.%s): unexported field: list it in configFields", p, t, f.Name)
			case rule.score:
				if err := checkType(p, scoreParamsType, seen); err != nil {
					return err
				}
			default:
				if err := checkType(p, f.Type, seen); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fmt.Errorf("%s: type %v has no config mapping: list the field in configFields", path, t)
}

// joinPath returns the JSON path of key under path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonObject is a JSON object that keeps its keys in order.
type jsonObject struct {
	keys []string
	vals []any
}

// jsonScalar is one encoded JSON scalar.
type jsonScalar string

// encodeValue returns v as a tree of *jsonObject, []any and jsonScalar.
func encodeValue(path string, v reflect.Value) (any, error) {
	t := v.Type()
	fail := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: %s: "+format, append([]any{ErrConfig, path}, args...)...)
	}
	scalar := func(x any) (any, error) {
		b, err := json.Marshal(x)
		if err != nil {
			return fail("%v", err)
		}
		return jsonScalar(b), nil
	}
	switch {
	case t == durationType:
		return scalar(time.Duration(v.Int()).String())
	case t.Implements(textMarshalerType) && reflect.PointerTo(t).Implements(textUnmarshalerType):
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return fail("%v", err)
		}
		return scalar(string(b))
	}
	switch t.Kind() {
	case reflect.Bool:
		return scalar(v.Bool())
	case reflect.String:
		return scalar(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return scalar(v.Uint())
	case reflect.Float32, reflect.Float64:
		return scalar(v.Float())
	case reflect.Pointer:
		if v.IsNil() {
			return jsonScalar("null"), nil
		}
		return encodeValue(path, v.Elem())
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			return jsonScalar("null"), nil
		}
		out := make([]any, v.Len())
		for i := range out {
			e, err := encodeValue(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fail("map key type %v is not a string", t.Key())
		}
		if v.IsNil() {
			return jsonScalar("null"), nil
		}
		obj := &jsonObject{}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			e, err := encodeValue(joinPath(path, k.String()), v.MapIndex(k))
			if err != nil {
				return nil, err
			}
			obj.keys = append(obj.keys, k.String())
			obj.vals = append(obj.vals, e)
		}
		return obj, nil
	case reflect.Struct:
		obj := &jsonObject{}
		for i := range t.NumField() {
			f := t.Field(i)
			key, rule, skip := configKey(t, f)
			if skip {
				continue
			}
			p := joinPath(path, key)
			if !f.IsExported() {
				return nil, fmt.Errorf("%w: %s (%v.%s): unexported field: list it in configFields", ErrConfig, p, t, f.Name)
			}
			fv := v.Field(i)
			if rule.score {
				sc := v.Addr().Interface().(*Scenario)
				sp, err := sc.scoreData(p)
				if err != nil {
					return nil, err
				}
				fv = reflect.ValueOf(sp)
			}
			e, err := encodeValue(p, fv)
			if err != nil {
				return nil, err
			}
			obj.keys = append(obj.keys, key)
			obj.vals = append(obj.vals, e)
		}
		return obj, nil
	}
	return fail("type %v has no config mapping: list the field in configFields", t)
}

// writeTree writes tree as indented JSON; arrays of scalars stay on one
// line.
func writeTree(b *bytes.Buffer, tree any, indent string) {
	switch x := tree.(type) {
	case jsonScalar:
		b.WriteString(string(x))
	case *jsonObject:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range x.keys {
			kb, _ := json.Marshal(k)
			b.WriteString(indent + "  ")
			b.Write(kb)
			b.WriteString(": ")
			writeTree(b, x.vals[i], indent+"  ")
			if i < len(x.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		flat := true
		for _, e := range x {
			if _, ok := e.(jsonScalar); !ok {
				flat = false
			}
		}
		if flat {
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				writeTree(b, e, indent)
			}
			b.WriteByte(']')
			return
		}
		b.WriteString("[\n")
		for i, e := range x {
			b.WriteString(indent + "  ")
			writeTree(b, e, indent+"  ")
			if i < len(x)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	}
}

// describe names the JSON type of a decoded value, for errors.
func describe(j any) string {
	switch x := j.(type) {
	case nil:
		return "null"
	case bool:
		return "a bool"
	case json.Number:
		return "the number " + x.String()
	case string:
		return strconv.Quote(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", j)
}

// decoder sets a Scenario from a decoded config file.
type decoder struct {
	// sc is the scenario being decoded, for the defaults of new topics.
	sc *Scenario
}

// value sets v (settable) from the decoded JSON j, filling in v's
// current value where j leaves fields out.
func (d *decoder) value(path string, v reflect.Value, j any) error {
	t := v.Type()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: "+format, append([]any{ErrConfig, path}, args...)...)
	}
	str := func() (string, error) {
		s, ok := j.(string)
		if !ok {
			return "", fail("want a string, got %s", describe(j))
		}
		return s, nil
	}
	num := func(what string) (string, error) {
		n, ok := j.(json.Number)
		if !ok {
			return "", fail("want %s, got %s", what, describe(j))
		}
		return n.String(), nil
	}
	switch {
	case t == durationType:
		s, ok := j.(string)
		if !ok {
			return fail("want a duration such as \"25ms\" or \"2m0s\", got %s", describe(j))
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fail("bad duration %q (want one such as \"25ms\" or \"2m0s\")", s)
		}
		v.SetInt(int64(d))
		return nil
	case t.Implements(textMarshalerType) && reflect.PointerTo(t).Implements(textUnmarshalerType):
		s, err := str()
		if err != nil {
			return err
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fail("%v", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		b, ok := j.(bool)
		if !ok {
			return fail("want true or false, got %s", describe(j))
		}
		v.SetBool(b)
	case reflect.String:
		s, err := str()
		if err != nil {
			return err
		}
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, err := num("an integer")
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(integral(s), 10, t.Bits())
		if err != nil {
			return fail("want an integer of %d bits, got %s", t.Bits(), s)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s, err := num("an integer ≥ 0")
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(integral(s), 10, t.Bits())
		if err != nil {
			return fail("want an integer ≥ 0 of %d bits, got %s", t.Bits(), s)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		s, err := num("a number")
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return fail("want a number, got %s", s)
		}
		v.SetFloat(f)
	case reflect.Pointer:
		if j == nil {
			v.SetZero()
			return nil
		}
		e := reflect.New(t.Elem())
		switch {
		case !v.IsNil():
			e.Elem().Set(v.Elem())
		case t == topicParamsPtrType:
			e = reflect.ValueOf(defaultTopicParams())
		}
		if err := d.value(path, e.Elem(), j); err != nil {
			return err
		}
		v.Set(e)
	case reflect.Array:
		// A fixed-size array (a dial's pair of nodes) is a JSON array of
		// exactly its length.
		arr, ok := j.([]any)
		if !ok || len(arr) != t.Len() {
			return fail("want an array of %d, got %s", t.Len(), describe(j))
		}
		for i, ej := range arr {
			if err := d.value(fmt.Sprintf("%s[%d]", path, i), v.Index(i), ej); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if j == nil {
			v.SetZero()
			return nil
		}
		arr, ok := j.([]any)
		if !ok {
			return fail("want an array, got %s", describe(j))
		}
		out := reflect.MakeSlice(t, len(arr), len(arr))
		for i, ej := range arr {
			e := out.Index(i)
			switch {
			case i < v.Len():
				e.Set(deepCopy(v.Index(i)))
			case t.Elem() == topicSpecType:
				// A new topic fills in from the run's traffic.
				e.Set(reflect.ValueOf(TopicSpec{Traffic: d.sc.defaultTraffic()}))
			}
			if err := d.value(fmt.Sprintf("%s[%d]", path, i), e, ej); err != nil {
				return err
			}
		}
		v.Set(out)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fail("map key type %v is not a string", t.Key())
		}
		if j == nil {
			v.SetZero()
			return nil
		}
		obj, ok := j.(map[string]any)
		if !ok {
			return fail("want an object, got %s", describe(j))
		}
		out := reflect.MakeMapWithSize(t, v.Len()+len(obj))
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			key := reflect.ValueOf(k).Convert(t.Key())
			e := reflect.New(t.Elem()).Elem()
			if old := out.MapIndex(key); old.IsValid() {
				e.Set(old)
			}
			if err := d.value(joinPath(path, k), e, obj[k]); err != nil {
				return err
			}
			out.SetMapIndex(key, e)
		}
		v.Set(out)
	case reflect.Struct:
		obj, ok := j.(map[string]any)
		if !ok {
			return fail("want an object, got %s", describe(j))
		}
		known := map[string]bool{}
		var keys []string
		for i := range t.NumField() {
			f := t.Field(i)
			key, rule, skip := configKey(t, f)
			if skip || !f.IsExported() {
				continue
			}
			known[key] = true
			keys = append(keys, key)
			fj, ok := obj[key]
			if !ok {
				continue
			}
			p := joinPath(path, key)
			if rule.score {
				if err := d.score(p, v.Addr().Interface().(*Scenario), fj); err != nil {
					return err
				}
				continue
			}
			if err := d.value(p, v.Field(i), fj); err != nil {
				return err
			}
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !known[k] {
				return fmt.Errorf("%w: %s: unknown field (%s)", ErrConfig, joinPath(path, k), fieldHint(k, objectName(path), keys))
			}
		}
	default:
		return fail("type %v has no config mapping", t)
	}
	return nil
}

// fieldHint helps with an unknown key: the known key nearest to it when
// one is close (a typo), else the keys obj has when they are few.
func fieldHint(key, obj string, keys []string) string {
	best, dist := "", len(key)/3+1 // more edits than this is not a typo
	for _, k := range keys {
		if d := editDistance(key, k); d <= dist {
			best, dist = k, d
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf("did you mean %q?", best)
	case len(keys) <= 12:
		return fmt.Sprintf("%s has %s", obj, strings.Join(keys, ", "))
	}
	return fmt.Sprintf("%s has %d keys: gwyh sim -print-config lists them", obj, len(keys))
}

// editDistance returns the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// integral returns a JSON number written with a fraction or an exponent
// ("50.0", "1e3") in digits when its value is a whole number, so that
// tools that write every number as a float can write integers; else s.
func integral(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// objectName names the object at path in an error.
func objectName(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// score sets sc.ScoreParams from the JSON j of its "score": null
// for nil (ScoreParams), else the score parameters sc runs with, changed
// as j says.
func (d *decoder) score(path string, sc *Scenario, j any) error {
	if j == nil {
		sc.ScoreParams = nil
		return nil
	}
	p, err := sc.scoreData(path)
	if err != nil {
		return err
	}
	if err := d.value(path, reflect.ValueOf(&p).Elem(), j); err != nil {
		return err
	}
	sc.ScoreParams = scoreFunc(p)
	return nil
}

// defaultTraffic returns the traffic a new topic of a config file starts
// from: Traffic, or else the first topic's.
func (s *Scenario) defaultTraffic() Traffic {
	if s.Traffic != (Traffic{}) || len(s.Topics) == 0 {
		return s.Traffic
	}
	return s.Topics[0].Traffic
}

// deepCopy returns a copy of v that shares no pointer, slice or map with
// it, so that decoding into the copy leaves the base scenario alone.
func deepCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			e := reflect.New(t.Elem())
			e.Elem().Set(deepCopy(v.Elem()))
			out.Set(e)
		}
	case reflect.Slice:
		if !v.IsNil() {
			s := reflect.MakeSlice(t, v.Len(), v.Len())
			for i := range v.Len() {
				s.Index(i).Set(deepCopy(v.Index(i)))
			}
			out.Set(s)
		}
	case reflect.Map:
		if !v.IsNil() {
			m := reflect.MakeMapWithSize(t, v.Len())
			for it := v.MapRange(); it.Next(); {
				m.SetMapIndex(it.Key(), deepCopy(it.Value()))
			}
			out.Set(m)
		}
	case reflect.Struct:
		out.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	default:
		out.Set(v)
	}
	return out
}

// MarshalText returns the kind's name, as in a config file.
func (k AttackKind) MarshalText() ([]byte, error) {
	if int(k) >= len(attackNames) {
		return nil, fmt.Errorf("%w: attack kind %d", ErrConfig, uint8(k))
	}
	return []byte(attackNames[k]), nil
}

// UnmarshalText sets k to the kind named text (attackNames, as String
// gives them).
func (k *AttackKind) UnmarshalText(text []byte) error {
	for i, n := range attackNames {
		if string(text) == n {
			*k = AttackKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown attack kind %q (want one of %s)", text, strings.Join(attackNames[:], ", "))
}
