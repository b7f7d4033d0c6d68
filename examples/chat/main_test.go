package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"

	"go.uber.org/goleak"
)

// TestMain fails the package if the example leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a 127.0.0.1 UDP address that was free a moment ago.
func freeAddr(t *testing.T) string {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// Someone who starts chat without -name (and without $USER) is shown by
// the start of their peer ID, never as an empty name.
func TestChatWithoutName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type chatter struct {
		in   *io.PipeWriter
		out  syncBuffer
		done chan error
	}
	start := func(listen, join, name string) *chatter {
		c := &chatter{done: make(chan error, 1)}
		r, w := io.Pipe()
		c.in = w
		go func() { c.done <- run(ctx, r, &c.out, io.Discard, listen, join, name, "test") }()
		return c
	}
	aAddr := freeAddr(t)
	anon := start(aAddr, "", "")
	bob := start(freeAddr(t), aAddr, "bob")
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
