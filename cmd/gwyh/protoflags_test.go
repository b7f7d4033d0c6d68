package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/gwyh/gwyh/router"
)

// Each protocol flag sets its router.Params field when given and leaves
// the field alone otherwise.
func TestProtoFlagsApply(t *testing.T) {
	tests := []struct {
		args  []string
		check func(p router.Params) bool
	}{
		{nil, func(p router.Params) bool { return p == router.DefaultParams() }},
		{[]string{"-choke"}, func(p router.Params) bool { return p.Choke }},
		{[]string{"-choke-window", "7"}, func(p router.Params) bool { return p.ChokeWindow == 7 }},
		{[]string{"-choke-min", "3"}, func(p router.Params) bool { return p.ChokeMinUnchoked == 3 }},
		{[]string{"-choke-margin", "3ms"}, func(p router.Params) bool { return p.ChokeMargin == 3*time.Millisecond }},
		{[]string{"-choke-min-rate", "0"}, func(p router.Params) bool { return p.ChokeMinRate == 0 }},
		{[]string{"-idontwant", "64"}, func(p router.Params) bool { return p.IDontWantMessageThreshold == 64 }},
		{[]string{"-publish-idontwant"}, func(p router.Params) bool { return p.PublishIDontWant }},
		{[]string{"-mcache-bytes", "262144"}, func(p router.Params) bool { return p.MessageCacheBytes == 256<<10 }},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var pf protoFlags
		pf.register(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		p := router.DefaultParams()
		pf.applyGiven(&p, func(name string) bool { return given[name] })
		if !tt.check(p) {
			t.Errorf("%v: params %+v", tt.args, p)
		}
	}
}
