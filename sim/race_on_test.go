//go:build race

package sim

// raceOn is true under the race detector, which slows the simulator
// about tenfold; the heaviest tests shrink then.
const raceOn = true
