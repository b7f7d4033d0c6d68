// Command chat is a terminal chat room over one gwyh topic. Start it in two
// or more terminals; every line typed in one appears in the others.
//
//	go run ./examples/chat -listen 127.0.0.1:7001 -name alice
//	go run ./examples/chat -listen 127.0.0.1:7002 -join 127.0.0.1:7001 -name bob
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/topic"
)

// line is what travels on the topic, as JSON.
type line struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:7001", "UDP address to listen on")
	join := flag.String("join", "", "comma-separated peers to join (host:port)")
	name := flag.String("name", os.Getenv("USER"), "your name in the room (default $USER, else the start of your peer ID)")
	room := flag.String("room", "lobby", "chat room (the topic is chat/<room>)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdin, os.Stdout, os.Stderr, *listen, *join, *name, *room); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// run chats until ctx ends: lines from in are published, others' lines
// printed on out, notes on errw. An empty name is the start of the node's
// peer ID.
func run(ctx context.Context, in io.Reader, out, errw io.Writer, listen, join, name, room string) error {
	cfg := node.DefaultConfig()
	cfg.Listen = listen
	if join != "" {
		cfg.Bootstrap = strings.Split(join, ",")
	}
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	t, err := topic.Join(n, "chat/"+room, topic.JSON[line]())
	if err != nil {
		return err
	}
	sub, err := t.Subscribe()
	if err != nil {
		return err
	}
	if name == "" {
		name = n.ID().Short()
	}
	fmt.Fprintf(out, "# %s in room %q on %s; others join with -join %s (Ctrl-C leaves)\n", name, room, n.Addr(), n.Addr())
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			err := t.Publish(ctx, line{Name: name, Text: sc.Text()})
			switch {
			case err == nil, errors.Is(err, topic.ErrPartial): // it left; who got it forwards it
			case errors.Is(err, topic.ErrNoPeers):
				fmt.Fprintln(errw, "# nobody else is in the room yet: only those who join in the next seconds may see that")
			default:
				fmt.Fprintln(errw, "# not sent:", err)
			}
		}
	}()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return nil // interrupted
		}
		if m.ReceivedFrom != n.ID() { // our own lines are already on screen
			fmt.Fprintf(out, "<%s> %s\n", m.Value.Name, m.Value.Text)
		}
	}
}
