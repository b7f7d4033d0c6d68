package main

import (
	"flag"

	"github.com/gwyh/gwyh/router"
)

// protoFlags are the protocol switches bench and sim share, to compare
// duplicate suppression on and off in the same minutes.
type protoFlags struct {
	choke            bool
	idontwant        int // IDontWantMessageThreshold; < 0: the default
	publishIDontWant bool
}

// register adds -choke, -idontwant and -publish-idontwant to fs, with
// router.DefaultParams' values as defaults.
func (p *protoFlags) register(fs *flag.FlagSet) {
	d := router.DefaultParams()
	fs.BoolVar(&p.choke, "choke", d.Choke, "choke extension: mesh peers whose copies keep arriving late send IHAVE instead (router Params.Choke)")
	fs.IntVar(&p.idontwant, "idontwant", d.IDontWantMessageThreshold, "IDONTWANT to mesh peers on receipt of messages of at least this many bytes (Params.IDontWantMessageThreshold)")
	fs.BoolVar(&p.publishIDontWant, "publish-idontwant", d.PublishIDontWant, "IDONTWANT to mesh peers with own messages that carry no author (Params.PublishIDontWant)")
}

// apply sets the flags' values in p.
func (p *protoFlags) apply(params *router.Params) {
	params.Choke = p.choke
	if p.idontwant >= 0 {
		params.IDontWantMessageThreshold = p.idontwant
	}
	params.PublishIDontWant = p.publishIDontWant
}
