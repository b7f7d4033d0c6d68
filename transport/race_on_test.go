//go:build race

package transport_test

// raceEnabled: the race detector is on (sync.Pool then drops items on
// purpose, and allocation counts mean little).
const raceEnabled = true
