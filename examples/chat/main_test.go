package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"go.uber.org/goleak"
)

// TestMain fails the package if the example leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Someone who starts chat without -name (and without $USER) is shown by
// the start of their peer ID, never as an empty name.
func TestChatWithoutName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type chatter struct {
		in   *io.PipeWriter
		out  testkit.Buffer
		done chan error
	}
	start := func(listen, join, name string) *chatter {
		c := &chatter{done: make(chan error, 1)}
		r, w := io.Pipe()
		c.in = w
		go func() { c.done <- run(ctx, r, &c.out, io.Discard, listen, join, name, "test") }()
		return c
	}
	aAddr := testkit.FreeUDPAddr(t)
	anon := start(aAddr, "", "")
	bob := start(testkit.FreeUDPAddr(t), aAddr, "bob")
	defer func() {
		anon.in.Close()
		bob.in.Close()
		cancel()
		for _, c := range []*chatter{anon, bob} {
			if err := <-c.done; err != nil {
				t.Error(err)
			}
		}
	}()
	header := regexp.MustCompile(`^# (\S+) in room "test"`)
	var name string
	testkit.Eventually(t, 10*time.Second, "the nameless chatter's header", func() bool {
		m := header.FindStringSubmatch(anon.out.String())
		if m != nil {
			name = m[1]
		}
		return m != nil
	})
	if name == "" || strings.HasPrefix(name, "in") {
		t.Fatalf("header %q shows no name", anon.out.String())
	}
	k := 0
	testkit.Eventually(t, 20*time.Second, "bob sees a line of the nameless chatter under its ID", func() bool {
		k++
		fmt.Fprintf(anon.in, "hello %d\n", k) // one line per poll while the meshes form
		return strings.Contains(bob.out.String(), "<"+name+"> hello ")
	}, func() { t.Logf("bob's screen:\n%s", bob.out.String()) })
}
