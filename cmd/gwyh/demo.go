package main

import (
	"fmt"
	"io"
)

func init() {
	commands["demo"] = command{"start a small cluster on loopback and show a message spreading", runDemo}
}

// runDemo will start a 16-node cluster on loopback once the node runtime
// lands; until then it says so plainly and fails.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "gwyh demo: not there yet — the node runtime (node/) has not landed; run the tests with 'go test ./...'")
	return 1
}
