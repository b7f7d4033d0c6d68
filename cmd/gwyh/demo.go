package main

import (
	"fmt"
	"io"
)

// runDemo will start a 16-node cluster on loopback once the node runtime
// lands; until then it says so plainly and fails.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "gwyh demo: not there yet — the node runtime (node/) has not landed; run the tests with 'go test ./...'")
	return 1
}
