package node

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
)

// minVerifyPart is the smallest share of a batch given to one goroutine:
// below about 16 signatures a batch loses much of its advantage over
// single checks (peer's BenchmarkVerifyBatch), so a small batch is
// verified by the event loop alone.
const minVerifyPart = 16

// verifyPool is the node's router.SigVerifier: it splits a large batch of
// message signatures into parts, verifies one on the event loop (which
// waits anyway) and hands the others to worker goroutines, so that one
// node can use every core (runtime.GOMAXPROCS parts at most). The workers
// are the node's: started by start (in New), ended by stop (in Close,
// after the event loop, its only caller, has ended).
type verifyPool struct {
	parts  int                // most parts a batch is split into
	jobs   chan verifyPart    // to the workers
	done   chan struct{}      // a token per part a worker finished
	own    peer.BatchVerifier // the event loop's part
	wg     sync.WaitGroup
	shared atomic.Uint64 // parts the workers verified, for tests
	calls  atomic.Uint64 // VerifySigs calls, for tests
}

// verifyPart is a share of a batch: the worker sets ok[i] for items[i].
type verifyPart struct {
	items []peer.Signed
	ok    []bool
}

var _ router.SigVerifier = (*verifyPool)(nil)

// newVerifyPool returns a pool splitting a batch into at most parts parts
// (parts-1 workers); start starts the workers.
func newVerifyPool(parts int) *verifyPool {
	parts = max(parts, 1)
	return &verifyPool{parts: parts, jobs: make(chan verifyPart), done: make(chan struct{}, parts)}
}

// defaultVerifyParts is one part per core the Go scheduler uses.
func defaultVerifyParts() int { return runtime.GOMAXPROCS(0) }

func (p *verifyPool) start() {
	for range p.parts - 1 {
		p.wg.Add(1)
		go p.worker()
	}
}

// stop ends the workers; no VerifySigs may be running or follow.
func (p *verifyPool) stop() {
	close(p.jobs)
	p.wg.Wait()
}

func (p *verifyPool) worker() {
	defer p.wg.Done()
	var bv peer.BatchVerifier
	for job := range p.jobs {
		bv.Verify(job.items, job.ok)
		p.shared.Add(1)
		p.done <- struct{}{}
	}
}

// VerifySigs implements router.SigVerifier.
func (p *verifyPool) VerifySigs(items []peer.Signed, ok []bool) {
	p.calls.Add(1)
	parts := min(p.parts, len(items)/minVerifyPart)
	if parts <= 1 {
		p.own.Verify(items, ok)
		return
	}
	// Parts of equal size (±1); the loop keeps the first.
	size, extra := len(items)/parts, len(items)%parts
	at := size + min(extra, 1)
	first := at
	for k := 1; k < parts; k++ {
		n := size
		if k < extra {
			n++
		}
		p.jobs <- verifyPart{items: items[at : at+n], ok: ok[at : at+n]}
		at += n
	}
	p.own.Verify(items[:first], ok[:first])
	for range parts - 1 {
		<-p.done
	}
}
