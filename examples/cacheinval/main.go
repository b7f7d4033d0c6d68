// Command cacheinval shows the classic broker-less use of gossip: several
// services each keep a local cache in front of a shared store, and every
// write is followed by an invalidation gossiped to all of them, so that no
// service keeps serving a stale value. It runs the services in one process,
// each with its own gwyh node on 127.0.0.1.
//
//	go run ./examples/cacheinval
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/topic"
)

// invalidation says that key changed in the store at version.
type invalidation struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
}

// store is the shared database every service reads through its cache.
type store struct {
	mu   sync.Mutex
	data map[string]int // key -> version
}

func (s *store) get(k string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.data[k] }
func (s *store) put(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[k]++
	return s.data[k]
}

// service is one process: a node, a local cache and the invalidation feed.
type service struct {
	name  string
	n     *node.Node
	inval *topic.Topic[invalidation]
	mu    sync.Mutex
	cache map[string]int

	received atomic.Int64 // invalidations from other services
	evicted  atomic.Int64 // cache entries they dropped
}

func (s *service) read(st *store, k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.cache[k]; ok {
		return v
	}
	v := st.get(k)
	s.cache[k] = v
	return v
}

// listen drops cached entries older than each invalidation.
func (s *service) listen(ctx context.Context, sub *topic.Subscription[invalidation]) {
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == s.n.ID() {
			continue // our own, published after updating our cache
		}
		s.received.Add(1)
		s.mu.Lock()
		if v, ok := s.cache[m.Value.Key]; ok && v < m.Value.Version {
			delete(s.cache, m.Value.Key)
			s.evicted.Add(1)
		}
		s.mu.Unlock()
	}
}

func main() {
	count := flag.Int("services", 5, "services (nodes)")
	writes := flag.Int("writes", 200, "writes to the store")
	every := flag.Duration("every", 5*time.Millisecond, "time between writes")
	flag.Parse()
	if err := run(os.Stdout, *count, *writes, *every); err != nil {
		fmt.Fprintln(os.Stderr, "cacheinval:", err)
		os.Exit(1)
	}
}

// run runs count services for writes writes, one every every, and
// reports on out.
func run(out io.Writer, count, writes int, every time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &store{data: map[string]int{}}
	var svcs []*service
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range count {
		cfg := node.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		cfg.Gossip.HeartbeatInterval = 200 * time.Millisecond
		if i > 0 {
			cfg.Bootstrap = []string{svcs[0].n.Addr().String()}
		}
		n, err := node.New(cfg)
		if err != nil {
			return err
		}
		defer n.Close()
		t, err := topic.Join(n, "cache/invalidate", topic.JSON[invalidation]())
		if err != nil {
			return err
		}
		sub, err := t.Subscribe()
		if err != nil {
			return err
		}
		s := &service{name: fmt.Sprintf("svc-%d", i), n: n, inval: t, cache: map[string]int{}}
		wg.Add(1)
		go func() { defer wg.Done(); s.listen(ctx, sub) }()
		svcs = append(svcs, s)
	}
	if err := waitMesh(ctx, svcs, meshTimeout); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d services, each with a local cache, gossiping invalidations on %q\n", count, "cache/invalidate")
	keys := []string{"user:1", "user:2", "cart:7", "price:apple", "price:pear"}
	rng := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for w := range writes {
		<-tick.C
		for _, s := range svcs { // everyone reads, warming caches
			s.read(st, keys[rng.IntN(len(keys))])
		}
		writer := svcs[rng.IntN(len(svcs))]
		k := keys[rng.IntN(len(keys))]
		v := st.put(k)
		writer.mu.Lock()
		writer.cache[k] = v
		writer.mu.Unlock()
		// ErrPartial is fine: the services that got the invalidation
		// forward it to the others. Any other error means it may be lost.
		if err := writer.inval.Publish(ctx, invalidation{Key: k, Version: v}); err != nil && !errors.Is(err, topic.ErrPartial) {
			return fmt.Errorf("%s: invalidating %s: %w", writer.name, k, err)
		}
		if w%50 == 49 {
			fmt.Fprintf(out, "  %d writes: %s\n", w+1, arrivals(svcs, st, w+1))
		}
	}
	want := int64(writes * (count - 1))
	deadline := time.Now().Add(5 * time.Second)
	for (stale(svcs, st) > 0 || received(svcs) < want) && time.Now().Before(deadline) {
		t := time.NewTimer(10 * time.Millisecond)
		<-t.C
	}
	n := stale(svcs, st)
	fmt.Fprintf(out, "after the last write: %s\n", arrivals(svcs, st, writes))
	if n > 0 {
		return fmt.Errorf("%d cache entries still stale", n)
	}
	fmt.Fprintln(out, "every cache is consistent with the store")
	return nil
}

// arrivals says what has arrived after writes writes: the invalidations
// the services received (each write's goes to every other service), the
// cache entries they evicted, and the entries still stale because their
// invalidation is on its way.
func arrivals(svcs []*service, st *store, writes int) string {
	var ev int64
	for _, s := range svcs {
		ev += s.evicted.Load()
	}
	return fmt.Sprintf("%d of %d invalidations received, %d stale cache entries evicted (%d more await theirs)",
		received(svcs), writes*(len(svcs)-1), ev, stale(svcs, st))
}

// received counts the invalidations the services received from others.
func received(svcs []*service) int64 {
	var n int64
	for _, s := range svcs {
		n += s.received.Load()
	}
	return n
}

// stale counts cached entries older than the store.
func stale(svcs []*service, st *store) int {
	n := 0
	for _, s := range svcs {
		s.mu.Lock()
		for k, v := range s.cache {
			if v < st.get(k) {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// meshTimeout bounds the wait for the meshes to form (on loopback they
// form within a few heartbeats).
const meshTimeout = 10 * time.Second

// waitMesh waits until every service has a mesh peer; it fails after
// timeout.
func waitMesh(ctx context.Context, svcs []*service, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for _, s := range svcs {
		for len(s.inval.Handle().Mesh()) == 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s has no mesh peer in %q after %v: %w", s.name, s.inval.Name(), timeout, ctx.Err())
			case <-tick.C:
			}
		}
	}
	return nil
}
