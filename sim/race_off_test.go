//go:build !race

package sim

// raceOn is true under the race detector (race_on_test.go).
const raceOn = false
