package main

import (
	"flag"
	"time"

	"github.com/gwyh/gwyh/router"
)

// protoFlags are the protocol switches bench and sim share, to compare
// duplicate suppression on and off in the same minutes.
type protoFlags struct {
	choke            bool
	chokeWindow      int
	chokeMin         int
	chokeMargin      time.Duration
	chokeMinRate     int
	idontwant        int // IDontWantMessageThreshold; < 0: the default
	publishIDontWant bool
	mcacheBytes      int
}

// register adds -choke (and its -choke-* knobs), -idontwant,
// -publish-idontwant and -mcache-bytes to fs, with
// router.DefaultParams' values as defaults.
func (p *protoFlags) register(fs *flag.FlagSet) {
	d := router.DefaultParams()
	fs.BoolVar(&p.choke, "choke", d.Choke, "choke extension: mesh peers whose copies keep arriving late send IHAVE instead (router Params.Choke)")
	fs.IntVar(&p.chokeWindow, "choke-window", d.ChokeWindow, "-choke: new messages per choke decision (Params.ChokeWindow)")
	fs.IntVar(&p.chokeMin, "choke-min", d.ChokeMinUnchoked, "-choke: least unchoked mesh peers (Params.ChokeMinUnchoked)")
	fs.DurationVar(&p.chokeMargin, "choke-margin", d.ChokeMargin, "-choke: a copy this close to the first counts as first (Params.ChokeMargin)")
	fs.IntVar(&p.chokeMinRate, "choke-min-rate", d.ChokeMinRate, "-choke: bytes/s of a topic's messages below which nobody is choked (Params.ChokeMinRate; 0: any load)")
	fs.IntVar(&p.idontwant, "idontwant", d.IDontWantMessageThreshold, "IDONTWANT to mesh peers on receipt of messages of at least this many bytes (Params.IDontWantMessageThreshold)")
	fs.BoolVar(&p.publishIDontWant, "publish-idontwant", d.PublishIDontWant, "IDONTWANT to mesh peers with own messages that carry no author (Params.PublishIDontWant)")
	fs.IntVar(&p.mcacheBytes, "mcache-bytes", d.MessageCacheBytes, "bytes each node's message cache holds for IWANT answers (Params.MessageCacheBytes): memory against gossip recovery")
}

// apply sets the flags' values in p.
func (p *protoFlags) apply(params *router.Params) {
	p.applyGiven(params, func(string) bool { return true })
}

// applyGiven sets the values of the flags given reports (by name) in p.
func (p *protoFlags) applyGiven(params *router.Params, given func(name string) bool) {
	if given("choke") {
		params.Choke = p.choke
	}
	if given("choke-window") {
		params.ChokeWindow = p.chokeWindow
	}
	if given("choke-min") {
		params.ChokeMinUnchoked = p.chokeMin
	}
	if given("choke-margin") {
		params.ChokeMargin = p.chokeMargin
	}
	if given("choke-min-rate") {
		params.ChokeMinRate = p.chokeMinRate
	}
	if p.idontwant >= 0 && given("idontwant") {
		params.IDontWantMessageThreshold = p.idontwant
	}
	if given("publish-idontwant") {
		params.PublishIDontWant = p.publishIDontWant
	}
	if p.mcacheBytes > 0 && given("mcache-bytes") {
		params.MessageCacheBytes = p.mcacheBytes
	}
}
