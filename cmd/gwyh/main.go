// Command gwyh runs gwyh's demo, a real node, the cluster benchmark and the
// network simulator. Each subcommand documents its flags with -h.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: run gets the arguments after its name and
// returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands that exist in this build. Each
// subcommand's file adds itself in an init function.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gwyh: unknown command %q (run 'gwyh -h' for the list)\n", args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gwyh <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-6s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'gwyh <command> -h' for a command's flags.")
}

// parseFlags parses a subcommand's args with fs. For -h it prints about (the
// command's description, ending with "flags:") and the flags' defaults to
// stderr and returns 0; for a bad flag it prints one line and returns 2;
// otherwise it returns -1 and the command goes on.
func parseFlags(fs *flag.FlagSet, args []string, about string, stderr io.Writer) int {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // usage is printed for -h only; errors get one line
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, about)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (run '%s -h')\n", fs.Name(), err, fs.Name())
		return 2
	}
	return -1
}
