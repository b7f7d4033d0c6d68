//go:build race

package router

// raceOn is true under the race detector, which slows the harness about
// tenfold; the heaviest tests shrink then.
const raceOn = true
