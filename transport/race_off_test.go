//go:build !race

package transport_test

// raceEnabled: the race detector is on.
const raceEnabled = false
